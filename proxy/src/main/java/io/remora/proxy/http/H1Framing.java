package io.remora.proxy.http;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;

/**
 * How a response is framed for an HTTP/1.x downstream connection, and whether the connection stays: a body gets a
 * length or chunks (or, on HTTP/1.0, the connection's end), and {@code Connection} says what happens next. HTTP/2
 * frames every stream itself, so none of this applies to it.
 */
final class H1Framing {
    private H1Framing() {
    }

    /**
     * A reply the proxy makes itself.
     *
     * @param bodyStillComing the request's body has not all arrived: it would have to be read and thrown away, and
     *                        closing is cheaper
     */
    static void localReply(FullHttpResponse res, StreamExchanges owner, boolean keepAlive, boolean http10,
                           boolean bodyStillComing) {
        if (bodyStillComing || !keepAlive || owner.drainsHere()) {
            owner.closeAfterResponse();
        }
        connection(res.headers(), owner, http10);
    }

    /**
     * An upstream's response head: a body the upstream delimits by closing is chunked downstream (or, on HTTP/1.0,
     * which has no chunked coding, ends with the connection too).
     */
    static void upstreamResponse(HttpResponse res, int status, StreamExchanges owner, boolean keepAlive,
                                 boolean http10, boolean head) {
        boolean bodyAllowed = !head && status != 204 && status != 304;
        boolean delimited = res instanceof FullHttpResponse || HttpUtil.isContentLengthSet(res);
        if (http10) {
            // HTTP/1.0 has no chunked coding (RFC 9112 §7.1): a body without a length ends with the connection.
            if (HttpUtil.isTransferEncodingChunked(res)) {
                HttpUtil.setTransferEncodingChunked(res, false);
            }
            if (bodyAllowed && !delimited) {
                owner.closeAfterResponse();
            }
        } else if (bodyAllowed && !delimited && !HttpUtil.isTransferEncodingChunked(res)) {
            // The upstream delimits the body by closing; downstream keeps its connection, so chunk it.
            HttpUtil.setTransferEncodingChunked(res, true);
        }
        if (!keepAlive || owner.drainsHere()) {
            owner.closeAfterResponse();
        }
        connection(res.headers(), owner, http10);
    }

    /** {@code Connection: close} when the connection ends after this response; HTTP/1.0 is told it stays. */
    private static void connection(HttpHeaders h, StreamExchanges owner, boolean http10) {
        if (owner.closesAfterResponse()) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }
}
