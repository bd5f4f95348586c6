package io.remora.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** What a failed bind reads like: the JDK's own exceptions from real sockets, and the shapes Netty and gRPC give. */
class ListenFailureTest {
    @Test
    void aPortInUseIsNamedWithItsRoleAndAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Throwable bind = catchThrowable(() -> {
                try (ServerSocket again = new ServerSocket()) {
                    again.bind(new InetSocketAddress("127.0.0.1", taken.getLocalPort()));
                }
            });
            ListenFailure f = ListenFailure.of("outbound upstream payments.shop", "127.0.0.1", taken.getLocalPort(), bind);
            assertThat(f.reason()).isEqualTo(ListenFailure.Reason.ADDRESS_IN_USE);
            assertThat(f.getMessage()).isEqualTo("cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " (outbound upstream payments.shop): address already in use");
            assertThat(f.port()).isEqualTo(taken.getLocalPort());
            assertThat(f).hasCause(bind);
        }
    }

    @Test
    void anAddressOfAnotherMachineIsNotAvailable() {
        // TEST-NET-3 (RFC 5737): never an address of this machine; binding sends nothing.
        Throwable bind = catchThrowable(() -> {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("203.0.113.7", 0));
            }
        });
        ListenFailure f = ListenFailure.of("admin", "203.0.113.7", 15000, bind);
        assertThat(f.reason()).isEqualTo(ListenFailure.Reason.ADDRESS_NOT_AVAILABLE);
        assertThat(f.getMessage()).startsWith("cannot listen on 203.0.113.7:15000 (admin): address not available");
    }

    @Test
    void nettysNativeErrorWrappedByGrpcIsReadThroughTheCauses() {
        // grpc-netty: IOException("Failed to bind to address ...") around Netty's NativeIoException.
        IOException grpc = new IOException("Failed to bind to address /0.0.0.0:80",
                new IOException("bind(..) failed with error(-13): Permission denied"));
        ListenFailure f = ListenFailure.of("push", new InetSocketAddress("0.0.0.0", 80), grpc);
        assertThat(f.reason()).isEqualTo(ListenFailure.Reason.PERMISSION_DENIED);
        assertThat(f.getMessage()).isEqualTo("cannot listen on 0.0.0.0:80 (push): permission denied (ports below 1024"
                + " need root or CAP_NET_BIND_SERVICE)");
    }

    @Test
    void anUnknownReasonShowsTheSystemsWordsWithoutNettysPrefix() {
        ListenFailure f = ListenFailure.of("metrics", "::1", 15020,
                new BindException("bind(..) failed with error(-22): Invalid argument"));
        assertThat(f.reason()).isEqualTo(ListenFailure.Reason.OTHER);
        assertThat(f.getMessage()).isEqualTo("cannot listen on [::1]:15020 (metrics): invalid argument");
    }
}
