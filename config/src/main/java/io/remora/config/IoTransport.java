package io.remora.config;

/** How the proxy's event loops do their I/O; chosen at start, one for every connection of the process. */
public enum IoTransport {
    /** epoll on Linux, NIO elsewhere (or what {@code -Dremora.transport} names for the whole JVM). */
    AUTO,
    /**
     * io_uring (Linux 5.14 or later): a loop's reads and writes take one system call where epoll needs one per
     * socket and direction. Where the kernel or the seccomp profile refuses it (container runtimes' default profiles
     * do), the proxy starts on {@link #AUTO}'s choice and says why.
     */
    IO_URING,
    /** epoll; NIO where it is not available. */
    EPOLL,
    /** The JDK's NIO selector, on any platform. */
    NIO;

    /** As config writes it ({@code io-uring}), for messages that name the value. */
    public String configName() {
        return Scalars.name(this);
    }
}
