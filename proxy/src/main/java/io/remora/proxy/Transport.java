package io.remora.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.remora.config.IoTransport;

import java.util.Locale;

/**
 * The I/O transport, one for the whole process so every channel of a connection pair lives on the same kind of
 * loop: the Sidecar's {@code transport} ({@link IoTransport}). {@code auto} is epoll where its native library loads
 * (Linux), NIO elsewhere, or what {@code -Dremora.transport} names for the whole JVM (the tests run once more on
 * io_uring that way). io_uring is asked for, never assumed: the kernels that have it have had bugs in it a proxy
 * would feel, and container runtimes' default seccomp profiles refuse it.
 *
 * @param fallback why the transport asked for is not the one chosen (it is not available here); null when it is
 */
public record Transport(String name, IoHandlerFactory factory, Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel, String fallback) {

    /** The JVM-wide choice: {@code -Dremora.transport} ({@code io_uring}, {@code epoll}, {@code nio}), else auto. */
    public static Transport best() {
        return of(IoTransport.AUTO);
    }

    /**
     * The transport {@code asked} names, or the next one down that works here. io_uring is probed (its native
     * library loaded) only when asked for, so a start on epoll pays nothing for it.
     */
    public static Transport of(IoTransport asked) {
        IoTransport wanted = asked == IoTransport.AUTO ? jvmDefault() : asked;
        Throwable uringCause = wanted != IoTransport.IO_URING || IoUring.isAvailable() ? null
                : IoUring.unavailabilityCause();
        return choose(wanted, uringCause, wanted != IoTransport.NIO && Epoll.isAvailable());
    }

    /**
     * io_uring when asked and {@code uringCause} is null (it works), else epoll when available and NIO was not
     * asked for, else NIO; {@link #fallback} says why the one asked for was not taken. {@code uringCause} is only
     * read when io_uring is asked for.
     */
    static Transport choose(IoTransport asked, Throwable uringCause, boolean epoll) {
        String fallback = null;
        if (asked == IoTransport.IO_URING) {
            if (uringCause == null) {
                return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                        IoUringSocketChannel.class, null);
            }
            fallback = "io_uring is not available here (" + uringCause + ")";
        }
        if (asked != IoTransport.NIO && epoll) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, fallback);
        }
        if (asked == IoTransport.EPOLL || asked == IoTransport.IO_URING) {
            fallback = (fallback == null ? "" : fallback + "; ") + "epoll is not available here";
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                fallback);
    }

    private static IoTransport jvmDefault() {
        String named = System.getProperty("remora.transport", "").trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (IoTransport t : IoTransport.values()) {
            if (t.name().equals(named) && t != IoTransport.AUTO) {
                return t;
            }
        }
        return IoTransport.EPOLL;
    }

    /** A group of {@code threads} event loops (0: one per core) named {@code prefix-N}. */
    public EventLoopGroup newGroup(int threads, String prefix) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(prefix, true), factory);
    }
}
