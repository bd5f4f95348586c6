package io.remora.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Downstream connections the proxy cut before a request could be routed, by why: these never reach the request
 * metrics (no request was read), so they are counted here, not logged one by one (an attacker chooses how many).
 */
public final class DownstreamMeters {
    private final Counter headersTimeoutHttp1;
    private final Counter headersTimeoutHttp2;
    private final Counter inboundLoops;

    DownstreamMeters(MeterRegistry registry) {
        headersTimeoutHttp1 = timeout(registry, "http1");
        headersTimeoutHttp2 = timeout(registry, "http2");
        inboundLoops = Counter.builder("remora.inbound.loop.refused")
                .description("Inbound connections refused because their original destination was one of the"
                        + " sidecar's own listeners (the pod's rules redirected them back to it)")
                .register(registry);
    }

    /** A captured inbound connection whose original destination was the sidecar itself. */
    public void inboundLoopRefused() {
        inboundLoops.increment();
    }

    private static Counter timeout(MeterRegistry registry, String protocol) {
        return Counter.builder("remora.downstream.timeouts")
                .description("Downstream connections closed because a request head (or the HTTP/2 preface) did not"
                        + " arrive within limits.requestHeadersTimeout")
                .tag("kind", "request_headers").tag("protocol", protocol)
                .register(registry);
    }

    /** A request head (HTTP/1.1) or a header block or preface (HTTP/2) took longer than the limit. */
    public void requestHeadersTimeout(boolean http2) {
        (http2 ? headersTimeoutHttp2 : headersTimeoutHttp1).increment();
    }
}
