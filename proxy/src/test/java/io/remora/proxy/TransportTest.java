package io.remora.proxy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringSocketChannel;
import io.remora.config.IoTransport;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which transport a start gets for each {@code transport} asked, here and where one is missing. */
class TransportTest {
    private static final Throwable REFUSED = new IOException("io_uring_setup: Operation not permitted");

    @Test
    void ioUringWhenAskedAndAllowed() {
        Transport t = Transport.choose(IoTransport.IO_URING, null, true);
        assertThat(t.name()).isEqualTo("io_uring");
        assertThat(t.socketChannel()).isEqualTo(IoUringSocketChannel.class);
        assertThat(t.fallback()).isNull();
    }

    @Test
    void ioUringRefusedStartsOnEpollAndSaysWhy() {
        Transport t = Transport.choose(IoTransport.IO_URING, REFUSED, true);
        assertThat(t.name()).isEqualTo("epoll");
        assertThat(t.socketChannel()).isEqualTo(EpollSocketChannel.class);
        assertThat(t.fallback()).isEqualTo("io_uring is not available here"
                + " (java.io.IOException: io_uring_setup: Operation not permitted)");
    }

    @Test
    void withoutEitherNativeTransportNioAndBothReasons() {
        Transport t = Transport.choose(IoTransport.IO_URING, REFUSED, false);
        assertThat(t.name()).isEqualTo("nio");
        assertThat(t.socketChannel()).isEqualTo(NioSocketChannel.class);
        assertThat(t.fallback()).startsWith("io_uring is not available here").endsWith("; epoll is not available here");

        assertThat(Transport.choose(IoTransport.EPOLL, null, false).fallback())
                .isEqualTo("epoll is not available here");
    }

    @Test
    void epollAndNioAsAskedAndNeverIoUringUnasked() {
        assertThat(Transport.choose(IoTransport.EPOLL, null, true).name()).isEqualTo("epoll");
        assertThat(Transport.choose(IoTransport.NIO, null, true).name()).isEqualTo("nio");
        assertThat(Transport.choose(IoTransport.NIO, null, true).fallback()).isNull();
    }

    /**
     * The JVM-wide choice the tests run on: epoll, or io_uring in the second test pass ({@code -Dremora.transport}).
     * That pass must really be on io_uring: on a machine that refuses it, this says why instead of passing on epoll.
     */
    @Test
    void theJvmWideChoiceIsTheOneNamed() {
        boolean uring = "io_uring".equals(System.getProperty("remora.transport"));
        if (uring) {
            assertThat(IoUring.isAvailable()).as("io_uring pass without io_uring: %s (kernel.io_uring_disabled,"
                    + " a seccomp profile?)", IoUring.unavailabilityCause()).isTrue();
        } else {
            assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
        }
        assertThat(Transport.best().name()).isEqualTo(uring ? "io_uring" : "epoll");
        assertThat(Transport.of(IoTransport.AUTO).name()).isEqualTo(Transport.best().name());
        assertThat(Transport.of(IoTransport.NIO).name()).isEqualTo("nio");
    }
}
