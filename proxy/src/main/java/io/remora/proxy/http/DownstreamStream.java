package io.remora.proxy.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;

/**
 * What an exchange needs of the caller's stream, and nothing more: an HTTP/1.1 connection ({@link
 * DownstreamHttpHandler}, over its channel) or one HTTP/2 stream ({@link H2Stream}, frames on a connection that
 * carries many). The exchange speaks {@code HttpObject}s either way; this is where they become bytes or frames, where
 * reading stops and resumes (backpressure) and where a stream is cut. Everything runs on the stream's event loop.
 */
interface DownstreamStream {
    /** A part of the response; nothing waits on the write (a failed one ends the stream). */
    void write(HttpObject msg);

    /** A part of the response, then everything written goes out. */
    void writeAndFlush(HttpObject msg);

    void flush();

    /** Whether the caller takes more now: the socket's buffer below its mark, and on HTTP/2 the stream's window. */
    boolean isWritable();

    /** Stops or resumes reading the request (HTTP/1.1: the connection's autoRead; HTTP/2: the stream's window). */
    void reading(boolean on);

    boolean reading();

    /** Whether the stream is still open: false once the caller closed or reset it, or it was cut. */
    boolean isActive();

    /** Cuts the stream mid-exchange: HTTP/1.1 closes the connection, HTTP/2 resets the stream (CANCEL). */
    void abort();

    /**
     * The stream's exchange ended ({@link StreamExchanges} has let it go): HTTP/1.1 goes on with the next request or
     * closes; an HTTP/2 stream has ended with its frames.
     */
    void exchangeFinished();

    /** A 101 went down: the connection becomes a byte tunnel to {@code upstream} (HTTP/1.1 only: HTTP/2 has none). */
    void tunnel(Channel upstream, Splice.Closed onClosed);

    ByteBufAllocator alloc();

    EventLoop eventLoop();
}
