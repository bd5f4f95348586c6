package io.remora.proxy.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class TcpEchoServerTest {

    @Test
    void echoesEverythingAndHonoursHalfClose() throws Exception {
        try (TcpEchoServer server = new TcpEchoServer();
             Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            int n = 8 * 1024 * 1024;
            // write concurrently: the echo would otherwise fill both socket buffers and stall
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    Digests.randomStream(7, n).transferTo(s.getOutputStream());
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String got = Digests.sha256Hex(s.getInputStream()); // reads until the server's FIN
            writer.join();
            assertThat(got).isEqualTo(Digests.sha256OfRandom(7, n));
            assertThat(server.bytesEchoed()).isEqualTo(n);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void withoutHalfClosureAFinClosesTheConnection() throws Exception {
        try (TcpEchoServer server = new TcpEchoServer(false);
             Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("ping".getBytes());
            InputStream in = s.getInputStream();
            assertThat(in.readNBytes(4)).isEqualTo("ping".getBytes());
            s.shutdownOutput();
            assertThat(in.read()).isEqualTo(-1);
        }
    }
}
