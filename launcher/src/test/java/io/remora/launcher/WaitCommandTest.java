package io.remora.launcher;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code remora wait --ready} against a real health endpoint: it returns once it says 200, or gives up in one line. */
@Timeout(30)
class WaitCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Remora.commandLine();
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void returnsOnceTheSidecarIsReady() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        HttpServer health = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        health.createContext("/healthz/ready", exchange -> {
            exchange.sendResponseHeaders(asked.incrementAndGet() < 3 ? 503 : 200, -1);
            exchange.close();
        });
        health.start();
        try {
            assertThat(run("wait", "--ready", "--health", "127.0.0.1:" + health.getAddress().getPort())).isZero();
            assertThat(asked.get()).isEqualTo(3);
        } finally {
            health.stop(0);
        }
    }

    @Test
    void givesUpAfterItsTimeoutInOneLine() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(run("wait", "--ready", "--health", "127.0.0.1:" + port, "--timeout", "600ms")).isEqualTo(1);
        assertThat(err.toString()).startsWith("remora wait: the sidecar at http://127.0.0.1:" + port
                + "/healthz/ready was not ready after 600ms (ConnectException)").hasLineCount(1);
    }
}
