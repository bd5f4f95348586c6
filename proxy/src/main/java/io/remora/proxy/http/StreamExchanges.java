package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.listener.ConnectionInfo;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.log.StreamInfo;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The exchanges of one downstream stream — an HTTP/1.1 connection or one HTTP/2 stream — one at a time, and what an
 * exchange asks of its caller's side: the listener, the connection (read once, shared by an HTTP/2 connection's
 * streams), the service a source sidecar called, whether the stream closes after the response, the deadline timer
 * its exchanges share. One request model for both HTTP versions: the HTTP/1.1 handler and the HTTP/2 connection
 * handler both hand their decoded parts here, and the {@link DownstreamStream} carries the answer back.
 */
final class StreamExchanges implements Router.Request {
    private final ProxyContext pc;
    private final ListenerSpec listener;
    private final ConnectionInfo connection;
    private final boolean h2;
    private final DownstreamStream io;
    /**
     * The connection's, shared by its streams (HTTP/2), or this stream's own, made with the first exchange that needs
     * it and closed with the stream (HTTP/1.1, where the stream is the connection).
     */
    private DeadlineTimer deadlines;
    private final boolean ownsDeadlines;
    private HttpExchange exchange;
    private boolean closeAfterResponse;
    /** The stream closed while its exchange was writing its end: the exchange ends by itself, then the stream. */
    private boolean gone;
    /** The current request's: set when its exchange begins (one exchange at a time runs on a stream). */
    private String calledService;

    /**
     * @param connection the downstream connection, read once its TLS (if any) settled; shared by its streams
     * @param io         the stream the exchanges answer on (touched only once an exchange runs)
     */
    StreamExchanges(ProxyContext pc, ListenerSpec listener, ConnectionInfo connection, boolean h2,
                    DownstreamStream io) {
        this(pc, listener, connection, h2, io, null);
    }

    /** @param connectionDeadlines the connection's deadline timer, which it closes; null: the stream has its own */
    StreamExchanges(ProxyContext pc, ListenerSpec listener, ConnectionInfo connection, boolean h2,
                    DownstreamStream io, DeadlineTimer connectionDeadlines) {
        this.pc = pc;
        this.listener = listener;
        this.connection = connection;
        this.h2 = h2;
        this.io = io;
        this.deadlines = connectionDeadlines;
        this.ownsDeadlines = connectionDeadlines == null;
    }

    boolean h2() {
        return h2;
    }

    DownstreamStream io() {
        return io;
    }

    // What the router reads of the current request's connection (Router.Request): no object per request for it.

    @Override
    public ListenerSpec listener() {
        return listener;
    }

    @Override
    public InetSocketAddress originalDst() {
        return connection.originalDst();
    }

    /** Inbound over mutual TLS: the service the source sidecar routed the current request to; else null. */
    @Override
    public String calledService() {
        return calledService;
    }

    void calledService(String service) {
        this.calledService = service;
    }

    /** What the access log tells of the caller's connection: its port and the TLS server name it asked for. */
    void describeConnection(StreamInfo info) {
        info.downstreamRemotePort(connection.peerPort());
        info.sni(connection.sni());
    }

    String remoteIp() {
        return connection.peerIp();
    }

    /** The downstream peer's verified SPIFFE ID (mutual TLS) as text, or null. */
    @Override
    public String peerPrincipal() {
        return connection.peerPrincipal();
    }

    /** The namespace in the downstream peer's SPIFFE ID, or null. */
    @Override
    public String peerNamespace() {
        return connection.peerNamespace();
    }

    /** The downstream peer's address (for an HTTP/2 stream, its connection's). */
    @Override
    public SocketAddress downstreamRemote() {
        return connection.peer();
    }

    /**
     * Whether this stream's connection is being drained: inbound only, since the app's outbound calls are served as
     * usual until the proxy stops (an app finishing its work still reaches its dependencies).
     */
    boolean drainsHere() {
        return pc.draining() && !listener.outbound();
    }

    void closeAfterResponse() {
        closeAfterResponse = true;
    }

    boolean closesAfterResponse() {
        return closeAfterResponse;
    }

    /** The timer of this stream's exchanges' deadlines (on HTTP/1.1 one after another on the connection). */
    DeadlineTimer deadlines() {
        if (deadlines == null) {
            deadlines = new DeadlineTimer(io.eventLoop(), pc.environment().ticker());
        }
        return deadlines;
    }

    /** Whether an exchange is running (its request or response not over yet). */
    boolean running() {
        return exchange != null;
    }

    /** Whether the running exchange still reads its request's body. */
    boolean readingBody() {
        return exchange != null && !exchange.requestDone();
    }

    /**
     * A decoded part of a request: the running exchange's body, or the head of a new exchange.
     *
     * @return false when it is neither (the next pipelined request on HTTP/1.1, which waits its turn): not taken
     */
    boolean read(HttpObject msg) {
        HttpExchange ex = exchange;
        if (ex != null) {
            if (!ex.requestDone() && msg instanceof HttpContent content) {
                ex.onRequestContent(content);
                return true;
            }
            return false;
        }
        if (msg instanceof HttpRequest req) {
            exchange = new HttpExchange(this, pc);
            exchange.begin(req);
        } else {
            // Body of a request already answered and finished (e.g. rejected), or a stray part.
            ReferenceCountUtil.release(msg);
        }
        return true;
    }

    /** The end of one read of the stream: what went up is flushed once. */
    void readComplete() {
        HttpExchange ex = exchange;
        if (ex != null) {
            ex.onDownstreamReadComplete();
        }
    }

    void writabilityChanged(boolean writable) {
        HttpExchange ex = exchange;
        if (ex != null) {
            ex.onDownstreamWritabilityChanged(writable);
        }
    }

    /** The stream is gone (closed, reset, its connection lost): a running exchange ends with it. */
    void closed() {
        HttpExchange ex = exchange;
        if (ex != null && ex.endsByItself()) {
            // An HTTP/2 stream closes as its last frame goes out, inside the exchange's own write of it: the exchange
            // ends when that write returns, as a complete one (its upstream connection reusable), not a cut one.
            gone = true;
            return;
        }
        exchange = null;
        if (ex != null) {
            ex.onDownstreamClosed();
        }
        closeDeadlines();
    }

    /** The current exchange ended; the stream goes on (or closes) as its kind does. */
    void exchangeFinished(HttpExchange ex) {
        if (exchange == ex) {
            exchange = null;
        }
        if (gone) {
            closeDeadlines();
        }
        io.exchangeFinished();
    }

    /** An own timer stops with the stream; a shared one goes on for the other streams (each exchange disarms its own). */
    private void closeDeadlines() {
        if (deadlines != null && ownsDeadlines) {
            deadlines.close();
        }
    }

    /** Cuts the downstream after a partial response: HTTP/1.1 closes, HTTP/2 resets the stream. */
    void abortDownstream() {
        io.abort();
    }
}
