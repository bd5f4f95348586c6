package io.remora.proxy.it.resilience;

import io.remora.config.Route;
import io.remora.proxy.ProxyEnvironment;
import io.remora.proxy.policy.FaultPolicy;
import io.remora.proxy.policy.Randomness;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Faults injected on purpose: aborts answer their share of requests locally ({@code FI}), delays hold theirs
 * ({@code DI}). The proxy draws from a seeded source, so the requests hit are exactly those the policy picks from
 * that sequence — the same every run — and their share is within ±3 points of the configured percentage.
 */
@Timeout(120)
class FaultInjectionTest {
    private static final int REQUESTS = 2_000;
    private static final long SEED = 20261202L;

    /** How many of {@code requests} draws from the seeded sequence the fault hits (aborts, or else delays). */
    private static int hits(Route.Fault fault, int requests) {
        FaultPolicy policy = FaultPolicy.of(fault);
        Randomness random = Randomness.seeded(SEED);
        int n = 0;
        for (int i = 0; i < requests; i++) {
            if (fault.abort() != null ? policy.abort(random.current()) : policy.delay(random.current())) {
                n++;
            }
        }
        return n;
    }

    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    @Test
    void abortsAnswerTheirShareLocallyWithTheConfiguredStatus() throws Exception {
        mesh = new Mesh(ProxyEnvironment.seeded(SEED), "http", null,
                r -> r.set("fault", "{abort: {percent: 25, httpStatus: 418}}"), a.address());
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
        // The proxy drew from the seeded source: exactly the requests the policy picks from that sequence.
        assertThat(aborted).isEqualTo(hits(new Route.Fault(new Route.Abort(25, 418, null), null), REQUESTS));
        assertThat(aborted).isBetween(REQUESTS * 22 / 100, REQUESTS * 28 / 100);
        assertThat(a.requests()).isEqualTo(REQUESTS - aborted);
        assertThat(mesh.metric("remora_faults_injected_total", "kind", "abort")).isEqualTo(aborted);
    }

    @Test
    void delaysHoldTheirShareOfRequests() throws Exception {
        mesh = new Mesh(ProxyEnvironment.seeded(SEED), "http", null,
                r -> r.set("fault", "{delay: {percent: 10, fixedDelay: 50ms}}"), a.address());
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
        assertThat(delayed).isEqualTo(hits(new Route.Fault(null, new Route.Delay(10, Duration.ofMillis(50))), n));
        assertThat(delayed).isBetween(n * 0.07, n * 0.13);
        assertThat(mesh.metric("remora_faults_injected_total", "kind", "delay")).isEqualTo(delayed);
        assertThat((double) slow).as("every delayed request took at least the delay").isGreaterThanOrEqualTo(delayed);
        assertThat(a.requests()).isEqualTo(n);
    }

    @Test
    void grpcAbortsCarryTheGrpcStatus() throws Exception {
        mesh = new Mesh("grpc", null,
                r -> r.set("fault", "{abort: {percent: 100, grpcStatus: resource-exhausted}}"), a.address());
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

    @Test
    void aDelayedRequestThatThenFailsKeepsItsDelayFlag() throws Exception {
        java.net.InetSocketAddress refused = new java.net.InetSocketAddress("127.0.0.1",
                io.remora.proxy.it.edge.Edge.closedPort());
        mesh = new Mesh("http", null, r -> r.set("fault", "{delay: {percent: 100, fixedDelay: 10ms}}"), refused);
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(503);
        assertThat(Mesh.flags(res)).isEqualTo("UF,URX,DI");
        assertThat(mesh.requestsFlagged("UF,URX,DI")).isEqualTo(1);
    }
}
