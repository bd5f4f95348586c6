package io.remora.proxy.http;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.certs.SpiffeId;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.route.RouteDecision;

import java.net.InetSocketAddress;

/**
 * One try of an exchange (Envoy's {@code UpstreamRequest}): the endpoint it picked, the upstream stream the pool
 * granted, its per-try timer, and whether it reused a pooled connection. The pool and the upstream stream talk to
 * the try, and the try tells its {@link UpstreamCall}; a try that has ended is detached from its stream, so nothing
 * a late upstream sends can reach a newer try.
 *
 * <p>Its life: {@link State#ACQUIRING} until the pool grants a stream, {@link State#SENDING} while the request goes
 * up, {@link State#RESPONDING} from the response head on, {@link State#ENDED} once failed, abandoned or finished.
 */
final class Attempt implements UpstreamRequester {
    enum State { ACQUIRING, SENDING, RESPONDING, ENDED }

    private final UpstreamCall call;
    /** Told of flow control directly: the request's bytes and the caller's reading are the exchange's. */
    private final HttpExchange exchange;
    final int number;
    /** The endpoint picked; null for inbound and passthrough traffic, which go to one fixed address. */
    final Endpoint endpoint;
    final InetSocketAddress address;
    /** The identity the upstream must prove (mutual TLS to a sidecar); null when plaintext. */
    final SpiffeId identity;
    private State state = State.ACQUIRING;
    private Channel upstream;
    private UpstreamHandler handler;
    private boolean reused;
    /** Whether the upstream said its connection stays (HTTP/1.1 keep-alive). */
    boolean upstreamKeepAlive = true;
    ScheduledFuture<?> timer;
    /** True while the pool is asked for a stream from within a downstream read. */
    boolean acquiring;

    Attempt(UpstreamCall call, HttpExchange exchange, int number, Endpoint endpoint, InetSocketAddress address,
            SpiffeId identity) {
        this.call = call;
        this.exchange = exchange;
        this.number = number;
        this.endpoint = endpoint;
        this.address = address;
        this.identity = identity;
        if (endpoint != null) {
            endpoint.requestStarted();
        }
    }

    State state() {
        return state;
    }

    /** The granted upstream stream; null before it is granted and after the try ended. */
    Channel upstream() {
        return upstream;
    }

    boolean reused() {
        return reused;
    }

    /** The SPIFFE ID text the upstream proved (mTLS), for metrics and the log; null when plaintext. */
    String principal() {
        return identity == null ? null : endpoint.identity();
    }

    String addressText() {
        return address.getHostString() + ":" + address.getPort();
    }

    /** The response head came and will be passed on: the per-try timer is over, and reuse is the upstream's say. */
    void responding(HttpResponse res, boolean h2) {
        state = State.RESPONDING;
        cancelTimer();
        if (!h2) {
            upstreamKeepAlive = HttpUtil.isKeepAlive(res);
        }
    }

    void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /**
     * Sends the try: tells another sidecar who calls and as which service (over mTLS only; a plaintext retry drops
     * what an earlier try to a sidecar added), and asks this event loop's pool for a stream to the address.
     *
     * @param inDownstreamRead true when called while the downstream channel is reading: its read-complete flushes
     *                         a stream granted at once; from a timer nothing would, so the grant flushes itself
     */
    void send(ProxyContext pc, EventLoop loop, RouteDecision.Upstream route, ConcurrencyLimits limits,
              HttpHeaders headers, String destinationService, boolean inDownstreamRead) {
        if (identity != null) {
            headers.set(PeerMetadata.PEER, pc.peerMetadata().own()).set(PeerMetadata.SERVICE, destinationService);
        } else if (number > 1) {
            headers.remove(PeerMetadata.PEER).remove(PeerMetadata.SERVICE);
        }
        acquiring = inDownstreamRead;
        pc.upstreams().acquire(loop, address, route, identity, limits, this);
        acquiring = false;
    }

    // ---- what the pool and the upstream stream tell ---------------------------------------------------------

    @Override
    public boolean stillWaiting() {
        return state == State.ACQUIRING && exchange.waitingForUpstream();
    }

    @Override
    public void upstreamReady(Channel stream, boolean reused) {
        upstream = stream;
        this.reused = reused;
        state = State.SENDING;
        handler = stream.pipeline().get(UpstreamHandler.class);
        handler.attach(this);
        exchange.upstreamGranted(stream, acquiring);
    }

    @Override
    public void upstreamFailed(Throwable cause) {
        if (state == State.ACQUIRING) {
            call.connectFailed(this, cause);
        }
    }

    @Override
    public void upstreamOverflow(ConcurrencyLimits.Limit limit) {
        if (state == State.ACQUIRING) {
            call.overflow(this, limit);
        }
    }

    void onRead(Object msg) {
        call.upstreamRead(this, msg);
    }

    void onReadComplete() {
        if (state != State.ENDED && !exchange.finished()) {
            exchange.response().flush(upstream);
        }
    }

    void onWritabilityChanged(boolean writable) {
        exchange.upstreamWritabilityChanged(writable);
    }

    void onClosed(Throwable cause, boolean refusedStream) {
        upstream = null;
        call.upstreamClosed(this, cause, refusedStream);
    }

    // ---- ending ---------------------------------------------------------------------------------------------

    /** Abandons the try: its timer, its stream (closed), its endpoint's count. */
    void end() {
        cancelTimer();
        closeUpstream();
        finishEndpoint();
        state = State.ENDED;
    }

    /**
     * Ends a try whose exchange is complete: the stream goes back to its pool when {@code reusable}, else it is
     * closed unless it is an HTTP/2 stream that ended cleanly.
     *
     * @param complete whether request and response both went through to their ends
     */
    void finish(boolean reusable, boolean complete) {
        cancelTimer();
        Channel up = upstream;
        upstream = null;
        if (up != null) {
            if (handler != null) {
                handler.detach();
            }
            H1Pool pool = handler == null ? null : handler.pool();
            if (pool != null && reusable) {
                pool.release(up);
            } else if (pool != null || !complete) {
                up.close();
            }
        }
        finishEndpoint();
        state = State.ENDED;
    }

    /** Hands the stream over (a WebSocket tunnel takes the connection): the try no longer owns it. */
    Channel detach() {
        Channel up = upstream;
        upstream = null;
        if (handler != null) {
            handler.detach();
        }
        cancelTimer();
        finishEndpoint();
        state = State.ENDED;
        return up;
    }

    /** Closes the stream of a try that is over (failed or abandoned) without ending the exchange's accounting. */
    void closeUpstream() {
        Channel up = upstream;
        upstream = null;
        if (up != null) {
            if (handler != null) {
                handler.detach();
            }
            up.close();
        }
    }

    private void finishEndpoint() {
        if (endpoint != null && state != State.ENDED) {
            endpoint.requestFinished();
        }
    }
}
