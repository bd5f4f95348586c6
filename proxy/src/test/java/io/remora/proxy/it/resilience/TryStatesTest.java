package io.remora.proxy.it.resilience;

import io.remora.config.testing.Eventually;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.it.edge.Edge;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.remora.proxy.testing.ScriptedUpstream.closeConnection;
import static io.remora.proxy.testing.ScriptedUpstream.hang;
import static io.remora.proxy.testing.ScriptedUpstream.status;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A try fails in each of its states, and whatever ends it, the request gets the answer and flags of that state, and
 * everything the request held is given back: the circuit breaker's request and retry slots and the endpoint's
 * count of requests in flight (an exchange that forgot one would leak capacity until the service stopped).
 * <ul>
 *   <li>acquiring: the connection is refused ({@code UF}, then {@code URX} once the retry is refused too);</li>
 *   <li>sending: the upstream closes without a response ({@code UC}); the per-try timer fires ({@code UT,URX});
 *       the deadline passes ({@code UT}); the caller goes away ({@code DC});</li>
 *   <li>responding: a response that the rules retry, with no attempt left, is passed on with {@code URX}.</li>
 * </ul>
 */
@Timeout(60)
class TryStatesTest {
    @AutoClose
    private final ScriptedUpstream upstream = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    private ServiceGuard guard() {
        return mesh.proxy.context().routes().byKey(Mesh.SERVICE).defaultCluster().guard();
    }

    /** Nothing the request held is still held once it ended. */
    private void nothingHeld() throws Exception {
        Eventually.eventually(Duration.ofSeconds(5), () -> {
            ServiceGuard g = guard();
            assertThat(g.limits().inUse(ConcurrencyLimits.Limit.REQUESTS)).as("request slots").isZero();
            assertThat(g.limits().inUse(ConcurrencyLimits.Limit.RETRIES)).as("retry slots").isZero();
            for (Endpoint e : mesh.proxy.context().routes().byKey(Mesh.SERVICE).defaultCluster().endpoints()) {
                assertThat(e.activeRequests()).as("requests in flight to " + e).isZero();
            }
        });
    }

    @Test
    void acquiringARefusedConnectionIsUfAndTheRefusedRetryAddsUrx() throws Exception {
        mesh = new Mesh("http", null, null, new InetSocketAddress("127.0.0.1", Edge.closedPort()));
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(res)).isEqualTo("UF,URX");
        nothingHeld();
    }

    @Test
    void sendingWhenTheUpstreamClosesWithoutAResponseIsUcForAPost() throws Exception {
        upstream.otherwise(closeConnection());
        mesh = new Mesh("http", null, null, upstream.address());
        HttpResponse<String> res = mesh.post("/pay", "{}");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(res)).isEqualTo("UC");
        assertThat(upstream.requests("POST")).isEqualTo(1);
        nothingHeld();
    }

    @Test
    void sendingWhenEachTrysTimerFiresIsUtWithUrxOnceTheAttemptsAreSpent() throws Exception {
        upstream.otherwise(hang());
        mesh = new Mesh("http", null, r -> r.set("retries",
                "{attempts: 2, perTryTimeout: 150ms, backoff: {baseInterval: 10ms, maxInterval: 20ms}}"),
                upstream.address());
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(504);
        assertThat(Mesh.flags(res)).isEqualTo("UT,URX");
        assertThat(upstream.requests("GET")).isEqualTo(2);
        nothingHeld();
    }

    @Test
    void sendingWhenTheDeadlinePassesIsUt() throws Exception {
        upstream.otherwise(hang());
        mesh = new Mesh("http", null, r -> r.set("timeout", "200ms"), upstream.address());
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(504);
        assertThat(Mesh.flags(res)).isEqualTo("UT");
        nothingHeld();
    }

    @Test
    void sendingWhenTheCallerGoesAwayIsRecordedDcAndTheUpstreamStreamIsClosed() throws Exception {
        upstream.otherwise(hang());
        mesh = new Mesh("http", null, null, upstream.address());
        try (Socket s = new Socket("127.0.0.1", mesh.listener().getPort())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /x HTTP/1.1\r\nHost: svc.test\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(upstream.requests()).isEqualTo(1));
        }
        Eventually.eventually(Duration.ofSeconds(5), () -> assertThat(mesh.requestsFlagged("DC")).isEqualTo(1));
        nothingHeld();
    }

    @Test
    void respondingWithAnAnswerTheRulesRetryButNoAttemptIsLeftPassesItOnWithUrx() throws Exception {
        upstream.otherwise(status(503));
        mesh = new Mesh("http", null, null, upstream.address());
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(upstream.requests("GET")).isEqualTo(2);
        assertThat(mesh.requestsFlagged("URX")).isEqualTo(1);
        nothingHeld();
    }
}
