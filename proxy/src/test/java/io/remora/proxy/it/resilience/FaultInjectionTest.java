package io.remora.proxy.it.resilience;

import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults injected on purpose: aborts answer their share of requests locally ({@code FI}), delays hold theirs
 * ({@code DI}); over 2,000 requests the shares are within ±3 points of the configured percentage.
 */
@Timeout(120)
class FaultInjectionTest {
    private static final int REQUESTS = 2_000;

    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    @Test
    void abortsAnswerTheirShareLocallyWithTheConfiguredStatus() throws Exception {
        mesh = new Mesh("http", null, """
                      fault: {abort: {percent: 25, httpStatus: 418}}
                """, a.address());
        int aborted = 0;
        for (int i = 0; i < REQUESTS; i++) {
            HttpResponse<String> res = mesh.get("/x");
            if (res.statusCode() == 418) {
                assertThat(Mesh.flags(res)).isEqualTo("FI");
                aborted++;
            } else {
                assertThat(res.statusCode()).isEqualTo(200);
            }
        }
        assertThat(aborted).isBetween(REQUESTS * 22 / 100, REQUESTS * 28 / 100);
        assertThat(a.requests()).isEqualTo(REQUESTS - aborted);
        assertThat(mesh.metric("remora_faults_injected_total", "kind", "abort")).isEqualTo(aborted);
    }

    @Test
    void delaysHoldTheirShareOfRequests() throws Exception {
        mesh = new Mesh("http", null, """
                      fault: {delay: {percent: 10, fixedDelay: 50ms}}
                """, a.address());
        int n = REQUESTS / 4;
        int slow = 0;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            HttpResponse<String> res = mesh.get("/x");
            if (System.nanoTime() - start >= 50_000_000L) {
                slow++;
            }
            assertThat(res.statusCode()).isEqualTo(200);
        }
        double delayed = mesh.requestsFlagged("DI");
        assertThat(delayed).isBetween(n * 0.07, n * 0.13);
        assertThat(mesh.metric("remora_faults_injected_total", "kind", "delay")).isEqualTo(delayed);
        assertThat((double) slow).as("every delayed request took at least the delay").isGreaterThanOrEqualTo(delayed);
        assertThat(a.requests()).isEqualTo(n);
    }

    @Test
    void grpcAbortsCarryTheGrpcStatus() throws Exception {
        mesh = new Mesh("grpc", null, """
                      fault: {abort: {percent: 100, grpcStatus: resource-exhausted}}
                """, a.address());
        io.grpc.ManagedChannel channel = io.remora.proxy.testing.GrpcTestServer.channel(mesh.listener());
        try {
            io.grpc.StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                    io.grpc.StatusRuntimeException.class,
                    () -> io.remora.proxy.testing.GrpcTestServer.unary(channel, new byte[] {1}));
            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
        } finally {
            channel.shutdownNow();
        }
        assertThat(a.requests()).isZero();
    }
}
