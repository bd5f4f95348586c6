package io.remora.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * One downstream HTTP/2 stream as its exchanges' {@link DownstreamStream}: frames on the connection of {@link
 * H2DownstreamHandler}, which keeps one of these per stream on the stream itself (a connection property).
 *
 * <p>Backpressure is the stream's flow control, as a child channel's autoRead was: while the exchange does not read,
 * the request's parts wait here and their bytes are not given back to the caller's window, so the caller stops at the
 * window's end; reading again hands them over (after the current call, never inside it) and returns the bytes.
 * Writability is the remote flow controller's: the stream's window and the connection's socket.
 */
final class H2Stream implements DownstreamStream {
    private final H2DownstreamHandler connection;
    private final Http2Stream stream;
    private final StreamExchanges exchanges;
    private boolean reading = true;
    /** Parts that arrived while not reading, in order; null until the first. */
    private ArrayDeque<HttpObject> waiting;
    private boolean drainScheduled;
    private boolean closed;
    /** On the connection's list of streams read in the current read, to hear its end. */
    boolean inRead;

    H2Stream(H2DownstreamHandler connection, Http2Stream stream) {
        this.connection = connection;
        this.stream = stream;
        this.exchanges = connection.exchangesOf(this);
    }

    StreamExchanges exchanges() {
        return exchanges;
    }

    /**
     * A decoded part of the request, from the connection's read.
     *
     * @return the bytes of it the caller's window gets back now: all of a body part handed over, none of one held
     */
    int received(HttpObject msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return 0;
        }
        int bytes = msg instanceof HttpContent c ? c.content().readableBytes() : 0;
        if (!reading || (waiting != null && !waiting.isEmpty())) {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            waiting.add(msg);
            return 0;
        }
        connection.readThisRound(this);
        hand(msg);
        return bytes;
    }

    /** To the exchanges: a part they do not take (a stray after the exchange ended) is dropped. */
    private void hand(HttpObject msg) {
        try {
            if (!exchanges.read(msg)) {
                ReferenceCountUtil.release(msg);
            }
        } catch (RuntimeException e) {
            // What a child channel did with an exception in its pipeline: the stream goes, the connection stays.
            abort();
        }
    }

    /** The end of the connection's read that brought parts of this stream: what went up is flushed once. */
    void readComplete() {
        inRead = false;
        exchanges.readComplete();
    }

    void writabilityChanged(boolean writable) {
        exchanges.writabilityChanged(writable);
    }

    /** The stream closed (both ends sent END_STREAM, a reset either way, the connection gone). */
    void closed() {
        if (closed) {
            return;
        }
        closed = true;
        if (waiting != null) {
            HttpObject m;
            while ((m = waiting.poll()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
        exchanges.closed();
    }

    /** Hands over what waited, returning its bytes to the caller's window, while reading stays on. */
    private void drain() {
        drainScheduled = false;
        int bytes = 0;
        boolean handed = false;
        HttpObject m;
        while (reading && !closed && waiting != null && (m = waiting.poll()) != null) {
            if (m instanceof HttpContent c) {
                bytes += c.content().readableBytes();
            }
            handed = true;
            hand(m);
        }
        if (closed) {
            return;
        }
        connection.consumed(stream, bytes);
        if (handed) {
            exchanges.readComplete();
        }
        connection.flushSoon();
    }

    // ---- DownstreamStream ----------------------------------------------------------------------------------

    @Override
    public void write(HttpObject msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        connection.write(stream.id(), msg);
    }

    @Override
    public void writeAndFlush(HttpObject msg) {
        write(msg);
        connection.flushSoon();
    }

    @Override
    public void flush() {
        connection.flushSoon();
    }

    @Override
    public boolean isWritable() {
        return !closed && connection.isWritable(stream);
    }

    @Override
    public void reading(boolean on) {
        if (reading == on) {
            return;
        }
        reading = on;
        if (on && waiting != null && !waiting.isEmpty() && !drainScheduled) {
            drainScheduled = true;
            eventLoop().execute(this::drain);
        }
    }

    @Override
    public boolean reading() {
        return reading;
    }

    @Override
    public boolean isActive() {
        return !closed;
    }

    /** RST_STREAM CANCEL, as closing a child channel did, unless the stream is closed already. */
    @Override
    public void abort() {
        if (!closed) {
            connection.reset(stream.id(), Http2Error.CANCEL);
        }
    }

    /** Nothing to do: an HTTP/2 stream ends with its frames (and one exchange is all a stream has). */
    @Override
    public void exchangeFinished() {
    }

    @Override
    public void tunnel(Channel upstream, Splice.Closed onClosed) {
        throw new UnsupportedOperationException("HTTP/2 streams are not upgraded");
    }

    @Override
    public ByteBufAllocator alloc() {
        return connection.alloc();
    }

    @Override
    public EventLoop eventLoop() {
        return connection.eventLoop();
    }
}
