package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.remora.bench.jmh.BenchMesh;
import io.remora.bench.jmh.RequestHeads;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.StreamInfo;
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
 * The edits and checks {@link HttpExchange#begin} makes on a request head before routing it, each on its own and all
 * of them in the exchange's order ({@link #head}). Each call edits a new head ({@link RequestHeads#fresh}), since the
 * edits change it in place; {@link #baseline} is that head on its own, to subtract from every other figure. The
 * request's {@link StreamInfo} is made once: the edits only write its fields.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestHeadBenchmark {
    @Param({RequestHeads.TYPICAL, RequestHeads.MESSY})
    public String head;

    private RequestHeads heads;
    private ProxyContext pc;
    private StreamExchanges owner;
    private RequestHeadRules rules;
    private StreamInfo info;

    @Setup
    public void setUp() {
        BenchMesh mesh = BenchMesh.create();
        heads = RequestHeads.of(head);
        pc = mesh.context();
        owner = BenchStreams.outbound(mesh);
        rules = pc.headRules();
        info = new StreamInfo(0L, 0L, true, owner.remoteIp());
        if (head(heads.fresh()) != null) {
            throw new IllegalStateException("the " + head + " head is refused: the benchmark measures a refusal");
        }
    }

    @Benchmark
    public HttpRequest baseline() {
        return heads.fresh();
    }

    /** Absolute form, Host, path normalization (RFC 9112 §3.2), then the field count. */
    @Benchmark
    public Object checks() {
        HttpRequest req = heads.fresh();
        RequestChecks.Refusal refusal = RequestChecks.target(req, false, rules);
        return refusal != null ? refusal : RequestChecks.headerCount(req.headers(), rules);
    }

    @Benchmark
    public HttpRequest hopByHop() {
        HttpRequest req = heads.fresh();
        HopByHop.strip(req.headers(), HopByHop.isWebSocketUpgrade(req.headers()));
        return req;
    }

    /** {@code x-forwarded-for}, {@code x-forwarded-proto}, {@code x-request-id} (made when missing), peer metadata. */
    @Benchmark
    public HttpRequest forwarding() {
        HttpRequest req = heads.fresh();
        ForwardingHeaders.request(req.headers(), owner, pc, info);
        return req;
    }

    /** Every step above, in {@link HttpExchange#begin}'s order. */
    @Benchmark
    public Object head() {
        HttpRequest req = heads.fresh();
        Object refusal = head(req);
        return refusal != null ? refusal : req;
    }

    private RequestChecks.Refusal head(HttpRequest req) {
        RequestChecks.Refusal refusal = RequestChecks.target(req, false, rules);
        if (refusal != null) {
            return refusal;
        }
        HttpHeaders h = req.headers();
        HopByHop.strip(h, HopByHop.isWebSocketUpgrade(h));
        refusal = RequestChecks.headerCount(h, rules);
        if (refusal != null) {
            return refusal;
        }
        ForwardingHeaders.request(h, owner, pc, info);
        return null;
    }
}
