package io.remora.proxy.http;

import io.netty.channel.Channel;

/** Who waits for an upstream stream: an HTTP/1.1 connection of its own or an HTTP/2 stream. */
public interface UpstreamRequester {
    /** Called on the event loop once the stream can be written to; the caller now owns it. */
    void upstreamReady(Channel stream, boolean reused);

    /** Called on the event loop when no stream could be had (connect refused, timed out, GOAWAY...). */
    void upstreamFailed(Throwable cause);

    /** Called on the event loop when a circuit-breaker limit kept the pool from opening a connection. */
    void upstreamOverflow(io.remora.proxy.policy.ConcurrencyLimits.Limit limit);

    /** Whether the requester still wants a stream (the downstream may have gone meanwhile). */
    boolean stillWaiting();
}
