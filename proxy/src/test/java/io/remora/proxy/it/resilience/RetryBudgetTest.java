package io.remora.proxy.it.resilience;

import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;

import static io.remora.proxy.testing.ScriptedUpstream.status;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * When an upstream fails everything, retries stop at the budget: the upstream gets at most 1.2× the requests, not
 * the 2× that two attempts per request would send it (a retry storm).
 */
@Timeout(120)
class RetryBudgetTest {
    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    @Test
    void retriesStayWithinTwentyPercentOfRequestsWhenEverythingFails() throws Exception {
        a.otherwise(status(503));
        mesh = new Mesh("http", "{retryBudget: {percent: 20, minRetriesPerSecond: 0, window: 60s},"
                + " outlierDetection: {consecutiveGatewayErrors: 0}}",
                r -> r.set("retries", "{backoff: {baseInterval: 1ms, maxInterval: 2ms}}"), a.address());
        int requests = 300;
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> res = mesh.get("/x");
            assertThat(res.statusCode()).isEqualTo(503);
        }
        int retries = a.requests() - requests;
        assertThat(retries).as("retries").isBetween(requests / 5 - 2, requests / 5);
        assertThat(mesh.metric("remora_retry_budget_exhausted_total")).isEqualTo(requests - retries);
    }

    @Test
    void theFloorLetsAQuietServiceRetry() throws Exception {
        a.otherwise(status(503));
        mesh = new Mesh("http", "{outlierDetection: {consecutiveGatewayErrors: 0}}", null, a.address());
        // Three requests: 20 % of them is not even one retry, but the floor of 10 per second allows all three.
        for (int i = 0; i < 3; i++) {
            assertThat(mesh.get("/x").statusCode()).isEqualTo(503);
        }
        assertThat(a.requests()).isEqualTo(6);
        assertThat(mesh.requestsFlagged("URX")).isEqualTo(3);
    }

    @Test
    void withTheBudgetOffEveryRetryTheRouteAllowsHappens() throws Exception {
        a.otherwise(status(503));
        mesh = new Mesh("http", "{retryBudget: {enabled: false}, outlierDetection: {consecutiveGatewayErrors: 0}}",
                r -> r.set("retries", "{backoff: {baseInterval: 1ms, maxInterval: 2ms}}"), a.address());
        for (int i = 0; i < 50; i++) {
            mesh.get("/x");
        }
        assertThat(a.requests()).isEqualTo(100);
    }
}
