package io.remora.proxy.http;

import io.remora.bench.jmh.BenchMesh;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.StreamInfo;
import io.remora.proxy.metrics.Reporter;
import io.remora.proxy.metrics.RequestMeters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * What a finished request costs the metrics: {@link #lookup} finds its meter group (Istio's labels, one cached group
 * per combination), {@link #record} is {@link Telemetry#record} as {@link HttpExchange} calls it at the end:
 * {@code istio_requests_total}, the duration and size histograms, the gRPC message counters, the span's end (tracing
 * off) and the live tap (no reader); the access log is off, as in the sidecar's defaults. The request is an outbound
 * call from {@code web.shop} to {@code reviews.shop}, answered 200 (gRPC: status 0, one message each way).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TelemetryBenchmark {
    @Param({"http", "grpc"})
    public String protocol;

    private ProxyContext pc;
    private StreamInfo info;

    @Setup
    public void setUp() {
        pc = BenchMesh.create().context();
        boolean grpc = protocol.equals("grpc");
        long start = 1_000_000_000L;
        // Only what the metrics read: status, protocol, service, flags, bytes, duration, gRPC messages.
        info = new StreamInfo(1_764_000_000_000L, start, true, BenchMesh.APP.getAddress().getHostAddress());
        info.request("HTTP/1.1", "GET", BenchMesh.ROUTED_HOST, "/reviews/12345", "okhttp/4.12.0", grpc);
        info.routed("reviews.shop", "reviews.shop|v1", "split");
        info.status(200);
        info.addReceived(420);
        info.sent(2_180);
        if (grpc) {
            info.grpcStatus("0");
            info.messages(1, 1);
        }
        info.ended(start + 1_250_000);
        Telemetry.record(pc, info); // the meter group exists from here on, as after a sidecar's first request
    }

    @Benchmark
    public RequestMeters lookup() {
        return pc.metrics().request(Reporter.SOURCE, info.destinationService(), protocol, info.status(),
                info.grpcStatus(), info.flagsText(), info.peerPrincipal(), info.peerLabels());
    }

    @Benchmark
    public void record() {
        Telemetry.record(pc, info);
    }
}
