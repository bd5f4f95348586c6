package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class WaitCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine root = new CommandLine(new Remora());
        root.setErr(new PrintWriter(err));
        return root.execute(args);
    }

    @Test
    void returnsOnceTheProxyIsReady() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        HttpServer health = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        health.createContext("/healthz/ready", ex -> {
            ex.sendResponseHeaders(asked.incrementAndGet() < 3 ? 503 : 200, -1);
            ex.close();
        });
        health.start();
        try {
            String url = "http://127.0.0.1:" + health.getAddress().getPort() + "/healthz/ready";
            assertThat(run("wait", "--ready", "--url", url, "--period", "10ms")).isZero();
            assertThat(asked.get()).isEqualTo(3);
        } finally {
            health.stop(0);
        }
    }

    @Test
    void givesUpWithOneLineWhenNothingAnswers() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        int status = run("wait", "--ready", "--url", "http://127.0.0.1:" + port + "/healthz/ready",
                "--timeout", "0", "--period", "10ms");
        assertThat(status).isEqualTo(1);
        assertThat(err.toString()).startsWith("remora wait: http://127.0.0.1:" + port + "/healthz/ready not ready"
                + " after 0 (last: ").endsWith("is the proxy running?\n");
    }
}
