package io.remora.launcher;

import io.remora.config.testing.TestMesh;
import io.remora.log.JsonWriter;
import io.remora.proxy.ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code remora explain}, {@code tap} and {@code stat} against a running sidecar: explain prints the sidecar's
 * explanation, tap the requests as they complete, stat the services' golden signals; a request the sidecar refuses
 * is one line and exit 2; an admin that is not there is one line and exit 1.
 */
@Timeout(30)
class SidecarToolsTest {
    private ProxyServer proxy;
    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void start() throws Exception {
        proxy = ProxyServer.start(TestMesh.of(TestMesh.sidecar("web", "test").upstream("a.test"),
                TestMesh.service("a", "test").endpoints("127.0.0.1:9"),
                TestMesh.route("a", "test").services("a.test")
                        .rule(r -> r.name("canary").match("{headers: {x-version: {exact: v2}}}").backend("a.test"))
                        .rule(r -> r.name("rest").backend("a.test"))).snapshot(), JsonWriter.stdout());
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = Remora.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private String admin() {
        return "127.0.0.1:" + proxy.adminAddress().getPort();
    }

    @Test
    void itPrintsWhichRuleMatchedAndWhyTheOneBeforeDidNot() {
        assertThat(run("explain", "--admin", admin(), "--path", "/items", "-H", "x-version: v1")).isZero();
        assertThat(out.toString()).contains("\"rule\" : \"canary\"").contains("header x-version \\\"v1\\\" is not exact v2")
                .contains("\"rule\" : \"rest\"").contains("\"answer\" : \"upstream\"");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aQueryTheSidecarRefusesIsOneLineAndExitTwo() {
        assertThat(run("explain", "--admin", admin(), "--path", "/x", "--method", "get")).isEqualTo(2);
        assertThat(err.toString().lines().findFirst().orElse("")).startsWith("remora explain: ")
                .contains("upper-case HTTP method");
    }

    @Test
    void tapPrintsTheRequestsAsTheyCompleteAndStopsAtItsCount() throws Exception {
        Thread requests = new Thread(() -> {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            for (int i = 0; i < 200 && !Thread.currentThread().isInterrupted(); i++) {
                try {
                    http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + proxy.upstreamAddress("a.test").getPort() + "/tapped")).build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding());
                    Thread.sleep(20);
                } catch (Exception e) {
                    return;
                }
            }
        });
        requests.start();
        try {
            assertThat(run("tap", "--admin", admin(), "--path", "/tapped", "--count", "2")).isZero();
        } finally {
            requests.interrupt();
            requests.join();
        }
        assertThat(out.toString().lines().toList()).hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("\"path\":\"/tapped\"").contains("\"type\":\"access\""));
        assertThat(run("tap", "--admin", admin(), "--status", "teapot")).isEqualTo(2);
        assertThat(err.toString()).contains("1xx to 5xx");
    }

    @Test
    void statPrintsEachServicesGoldenSignalsFromTwoScrapes() throws Exception {
        Thread requests = new Thread(() -> {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + proxy.upstreamAddress("a.test").getPort() + "/s")).build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding());
                    Thread.sleep(5);
                } catch (Exception e) {
                    return;
                }
            }
        });
        requests.start();
        try {
            assertThat(run("stat", "--metrics", "127.0.0.1:" + proxy.metricsAddress().getPort(), "--interval",
                    "700ms", "--once")).isZero();
        } finally {
            requests.interrupt();
            requests.join();
        }
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.get(0)).startsWith("DIRECTION").contains("SUCCESS").contains("P99 ms").contains("MTLS");
        // The endpoint refuses connections: every request is a 503 UF, so the success rate is 0.
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("outbound").contains("a.test.svc.cluster.local")
                .contains("0.00%"));
    }

    @Test
    void statFromAControlPlaneThatIsNotThereIsOneLineAndExitOneAndABadAddressIsAUsageError() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThat(run("stat", "--control-plane", "127.0.0.1:" + closed, "--once")).isEqualTo(1);
        assertThat(err.toString().lines().toList()).hasSize(1);
        assertThat(err.toString()).contains("cannot read the control plane's dashboard data at 127.0.0.1:" + closed)
                .contains("--control-plane");
        assertThat(run("stat", "--control-plane", "nowhere", "--once")).isEqualTo(2);
        assertThat(err.toString()).contains("--control-plane: expected host:port");
    }

    @Test
    void anAdminThatIsNotThereIsOneLineAndExitOne() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertThat(run("explain", "--admin", "127.0.0.1:" + closed, "--path", "/x")).isEqualTo(1);
        assertThat(err.toString().lines().toList()).hasSize(1);
        assertThat(err.toString()).contains("cannot reach the sidecar's admin at 127.0.0.1:" + closed)
                .contains("--admin");
    }
}
