package io.remora.proxy.it.resilience;

import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** A route's token bucket: a burst of {@code maxTokens} passes, the rest is answered 429 {@code RL} locally. */
@Timeout(60)
class RateLimitTest {
    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    @Test
    void requestsBeyondTheBucketAreAnswered429RL() throws Exception {
        mesh = new Mesh("http", null,
                r -> r.set("rateLimit", "{maxTokens: 5, tokensPerFill: 1, fillInterval: 1h}"), a.address());
        for (int i = 0; i < 5; i++) {
            assertThat(mesh.get("/x").statusCode()).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> res = mesh.get("/x");
            assertThat(res.statusCode()).isEqualTo(429);
            assertThat(Mesh.flags(res)).isEqualTo("RL");
        }
        assertThat(a.requests()).isEqualTo(5);
        assertThat(mesh.metric("remora_rate_limited_total")).isEqualTo(3);
    }
}
