package io.remora.proxy.it.resilience;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.remora.proxy.testing.GrpcTestServer;
import io.remora.proxy.testing.ScriptedUpstream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.remora.proxy.testing.ScriptedUpstream.hang;
import static io.remora.proxy.testing.ScriptedUpstream.late;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * One deadline per request, retries and backoff included: a hung upstream is answered 504 {@code UT} when the
 * route's timeout is up, never later; a per-try timeout cuts a slow try short and the retry gets the time left;
 * gRPC requests get {@code DEADLINE_EXCEEDED}, and the upstream is told the time left in {@code grpc-timeout}.
 */
@Timeout(60)
class DeadlineTest {
    private static final Metadata.Key<String> FLAGS = Metadata.Key.of("x-remora-response-flags",
            Metadata.ASCII_STRING_MARSHALLER);
    /** Slack for scheduling on a busy 2-core machine; the point is "at the deadline, not after the upstream". */
    private static final long SLACK_MS = 1_000;

    @AutoClose
    private final ScriptedUpstream a = new ScriptedUpstream("a");
    @AutoClose
    private Mesh mesh;

    @Test
    void aHungUpstreamIsAnswered504UTAtTheDeadline() throws Exception {
        a.otherwise(hang());
        mesh = new Mesh("http", null, r -> r.set("timeout", "300ms"), a.address());
        long start = System.nanoTime();
        HttpResponse<String> res = mesh.get("/slow");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(res.statusCode()).isEqualTo(504);
        assertThat(Mesh.flags(res)).isEqualTo("UT");
        assertThat(millis).isBetween(300L, 300 + SLACK_MS);
        assertThat(mesh.metric("remora_timeouts_total", "kind", "deadline")).isEqualTo(1);
    }

    @Test
    void theDeadlineHoldsWhileRetryingAndBackingOff() throws Exception {
        a.otherwise(late(Duration.ofMillis(150), "too late"));
        mesh = new Mesh("http", null, r -> r.set("timeout", "400ms").set("retries",
                "{attempts: 10, perTryTimeout: 100ms, backoff: {baseInterval: 50ms, maxInterval: 100ms}}"),
                a.address());
        long start = System.nanoTime();
        HttpResponse<String> res = mesh.get("/slow");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(res.statusCode()).isEqualTo(504);
        assertThat(Mesh.flags(res)).contains("UT");
        assertThat(millis).isBetween(300L, 400 + SLACK_MS);
        assertThat(a.requests()).as("several tries fit in the deadline, ten do not").isBetween(2, 4);
    }

    @Test
    void aPerTryTimeoutCutsASlowTryShortAndTheRetryAnswers() throws Exception {
        a.then(hang(), 1);
        mesh = new Mesh("http", null,
                r -> r.set("timeout", "5s").set("retries", "{perTryTimeout: 200ms}"), a.address());
        long start = System.nanoTime();
        HttpResponse<String> res = mesh.get("/x");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("a");
        assertThat(millis).isBetween(200L, 200 + SLACK_MS);
        assertThat(a.requests()).isEqualTo(2);
        assertThat(mesh.metric("remora_timeouts_total", "kind", "per-try")).isEqualTo(1);
        assertThat(mesh.metric("remora_retries_total", "reason", "per-try-timeout")).isEqualTo(1);
    }

    @Test
    void withoutADeadlineThePerTryTimeoutStillBoundsEachTry() throws Exception {
        a.otherwise(hang());
        mesh = new Mesh("http", null,
                r -> r.set("timeout", "0s").set("retries", "{perTryTimeout: 200ms}"), a.address());
        HttpResponse<String> res = mesh.get("/x");
        assertThat(res.statusCode()).isEqualTo(504);
        assertThat(Mesh.flags(res)).isEqualTo("UT,URX");
        assertThat(a.requests()).isEqualTo(2);
    }

    @Test
    void grpcGetsDeadlineExceededAndTheUpstreamIsToldTheTimeLeft() throws Exception {
        a.otherwise(hang());
        mesh = new Mesh("grpc", null, r -> r.set("timeout", "300ms"), a.address());
        ManagedChannel channel = GrpcTestServer.channel(mesh.listener());
        try {
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> GrpcTestServer.unary(channel, new byte[] {1}));
            assertThat(e).isNotNull();
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(e.getTrailers().get(FLAGS)).isEqualTo("UT");
            String propagated = a.seen().get(0).headers().get("grpc-timeout");
            assertThat(propagated).as("grpc-timeout sent upstream").isNotNull();
            assertThat(timeoutMillis(propagated)).isBetween(1L, 300L);

            // The caller's own, shorter deadline wins over the route's and is what the upstream is told.
            catchThrowableOfType(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel,
                    GrpcTestServer.unaryMethod(), CallOptions.DEFAULT.withDeadlineAfter(150, TimeUnit.MILLISECONDS),
                    new byte[] {2}));
            String shorter = a.seen().get(1).headers().get("grpc-timeout");
            assertThat(timeoutMillis(shorter)).isBetween(1L, 150L);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * HTTP/2 streams of one connection share its deadline timer: calls side by side, the caller's shorter deadline
     * armed after the route's longer one, each end at their own deadline, and the connection serves the next call.
     */
    @Test
    void concurrentStreamsOfOneConnectionEachEndAtTheirOwnDeadline() throws Exception {
        a.otherwise(hang());
        mesh = new Mesh("grpc", null, r -> r.set("timeout", "800ms"), a.address());
        ManagedChannel channel = GrpcTestServer.channel(mesh.listener());
        try {
            long start = System.nanoTime();
            var longer = ClientCalls.futureUnaryCall(channel.newCall(GrpcTestServer.unaryMethod(), CallOptions.DEFAULT),
                    new byte[] {1});
            var shorter = ClientCalls.futureUnaryCall(channel.newCall(GrpcTestServer.unaryMethod(),
                    CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS)), new byte[] {2});
            StatusRuntimeException first = catchThrowableOfType(java.util.concurrent.ExecutionException.class,
                    () -> shorter.get(10, TimeUnit.SECONDS)).getCause() instanceof StatusRuntimeException e ? e : null;
            long firstMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(first).isNotNull();
            assertThat(first.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(longer.isDone()).as("the route's 800 ms are not up at %d ms", firstMillis)
                    .isEqualTo(firstMillis >= 800);

            StatusRuntimeException second = catchThrowableOfType(java.util.concurrent.ExecutionException.class,
                    () -> longer.get(10, TimeUnit.SECONDS)).getCause() instanceof StatusRuntimeException e ? e : null;
            long secondMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(second).isNotNull();
            assertThat(second.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(second.getTrailers().get(FLAGS)).isEqualTo("UT");
            assertThat(secondMillis).isBetween(800L, 800 + SLACK_MS);
            // The shorter one: the proxy's timer and the client's own (both at 200 ms) race; the longer: the proxy's.
            assertThat(mesh.metric("remora_timeouts_total", "kind", "deadline")).isBetween(1.0, 2.0);

            // The same connection, a third stream: its deadline is armed on the timer the first two left.
            long third = System.nanoTime();
            catchThrowableOfType(StatusRuntimeException.class, () -> GrpcTestServer.unary(channel, new byte[] {3}));
            assertThat((System.nanoTime() - third) / 1_000_000).isBetween(800L, 800 + SLACK_MS);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** {@code 299m}, {@code 299000u}, ... as milliseconds. */
    private static long timeoutMillis(String grpcTimeout) {
        long value = Long.parseLong(grpcTimeout.substring(0, grpcTimeout.length() - 1));
        return switch (grpcTimeout.charAt(grpcTimeout.length() - 1)) {
            case 'H' -> TimeUnit.HOURS.toMillis(value);
            case 'M' -> TimeUnit.MINUTES.toMillis(value);
            case 'S' -> TimeUnit.SECONDS.toMillis(value);
            case 'm' -> value;
            case 'u' -> TimeUnit.MICROSECONDS.toMillis(value);
            case 'n' -> TimeUnit.NANOSECONDS.toMillis(value);
            default -> throw new AssertionError("bad grpc-timeout " + grpcTimeout);
        };
    }
}
