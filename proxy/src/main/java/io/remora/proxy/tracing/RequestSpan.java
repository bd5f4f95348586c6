package io.remora.proxy.tracing;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * This sidecar's part of one HTTP request's trace, from {@link Tracing#startServer} (inbound) or
 * {@link Tracing#startClient} (outbound) to {@link #end}. One span covers the whole exchange as the caller saw it,
 * retries included: each retry is an event on it ({@link #retry}), not a span of its own, so a trace shows one hop
 * per sidecar as Envoy's do. Every method is cheap to call when nothing is recorded, and {@link #NONE} (tracing
 * off, or a request whose caller decided not to sample it and whose headers are forwarded as they came) does
 * nothing at all. A span belongs to one exchange and is called from its event loop; times are nanoseconds on the
 * proxy's {@code ProxyEnvironment.ticker()}, the clock the exchange already keeps.
 */
public interface RequestSpan {
    /** Records nothing and leaves the headers alone. */
    RequestSpan NONE = new RequestSpan() {
    };

    /** Whether this span is recorded and will be exported (the request is sampled). */
    default boolean recording() {
        return false;
    }

    /** The trace's id as 32 lowercase hex digits, for the access log; null when the request carries no trace. */
    default String traceId() {
        return null;
    }

    /**
     * Writes this hop's trace context into the request about to be forwarded (the app's inbound, the upstream's
     * outbound), replacing the trace headers it carries: {@code traceparent} naming this span, B3 in the forms the
     * request came with, {@code tracestate} kept with a valid {@code traceparent}. Call it once on the head that is
     * forwarded, after the proxy's own header changes (retries resend that head; calling it again writes the same).
     * A request not sampled still carries its context on, marked not sampled.
     */
    default void inject(HttpHeaders forwarded) {
    }

    /**
     * Names the span after the routing decision. Call once, when the route is known.
     *
     * @param spanName        bounded and built once per route, never from the raw path: the route's name, or
     *                        {@link SpanNames#of(String, int, String) host:port/path-template}
     * @param routeName       the route in the access log ({@code reviews/canary}, {@code inbound}), or null
     * @param upstreamCluster the cluster the request goes to ({@code payments.shop/v2}, {@code inbound|8080|http}), or
     *                        null
     */
    default void routed(String spanName, String routeName, String upstreamCluster) {
    }

    /**
     * The other side's verified SPIFFE ID: the caller's inbound (then {@code source.principal}), the upstream's
     * outbound (then {@code destination.principal}). Call it when known (per try outbound; the last one stays).
     */
    default void peer(String principal) {
    }

    /** The request's {@code x-request-id}, recorded as Envoy does ({@code guid:x-request-id}). */
    default void requestId(String requestId) {
    }

    /**
     * A retry, as an event on this span ({@code retry}, with the try's number and why the previous one failed);
     * the span's {@code http.request.resend_count} counts them.
     *
     * @param attempt the try about to start, 2 for the first retry
     * @param reason  why the previous try failed ({@code connect-failure}, {@code 503}...)
     * @param nanos   when, on the proxy's ticker
     */
    default void retry(int attempt, String reason, long nanos) {
    }

    /**
     * Ends the span (once; later calls do nothing). The span is then queued for export on another thread: this
     * never waits for the collector, and a full queue drops the span and counts it.
     *
     * @param status        the HTTP status sent downstream; 0 when none was (the exchange was cut)
     * @param responseFlags Envoy's response flags ({@code UF}, {@code URX}...), {@code -} or null when none
     * @param endNanos      when the exchange ended, on the proxy's ticker
     */
    default void end(int status, String responseFlags, long endNanos) {
    }
}
