package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * HTTP/2 frames of a downstream stream as the {@code HttpObject}s the exchange speaks, and back: what Netty's
 * {@code Http2StreamFrameToHttpObjectCodec(server, validating)} does on a child channel, done on the connection's
 * frames directly (no frame objects, no pipeline per stream). A request head becomes an {@code HttpRequest}
 * ({@link H2RequestHead}: Netty's conversion without the {@code x-http2-*} helper headers the exchange would strip),
 * marked chunked when it has a body without a length (the HTTP/1.1 side needs a framing); trailers become the last
 * part's trailing headers; a response becomes HEADERS, DATA and trailing HEADERS, END_STREAM on the last of them.
 */
final class H2Messages {
    private H2Messages() {
    }

    /** A HEADERS frame of a request stream: its head, or (ending the stream without a method) its trailers. */
    static HttpObject headers(int streamId, Http2Headers headers, boolean endStream) throws Http2Exception {
        CharSequence status = headers.status();
        if (status != null && informational(status)) {
            return HttpConversionUtil.toFullHttpRequest(streamId, headers, Unpooled.EMPTY_BUFFER, true);
        }
        if (endStream) {
            if (headers.method() == null && status == null) {
                LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, true);
                HttpConversionUtil.addHttp2ToHttpHeaders(streamId, headers, last.trailingHeaders(),
                        HttpVersion.HTTP_1_1, true, true);
                return last;
            }
            return H2RequestHead.of(streamId, headers, true);
        }
        HttpRequest req = H2RequestHead.of(streamId, headers, false);
        if (!HttpUtil.isContentLengthSet(req)) {
            req.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        return req;
    }

    /** A DATA frame's payload as a body part; {@code data} is the decoder's, so the part takes a reference. */
    static HttpContent data(ByteBuf data, boolean endStream) {
        return endStream ? new DefaultLastHttpContent(data.retain(), true) : new DefaultHttpContent(data.retain());
    }

    /**
     * Writes one part of a response on stream {@code streamId}, the part's buffer handed to the encoder (or released).
     * A 1xx other than 101 must be full and leaves the stream open; a full response without body or trailers ends
     * it with its HEADERS; a last part ends it with its DATA, or with the trailers' HEADERS when it has some.
     */
    static void write(Http2ConnectionEncoder encoder, ChannelHandlerContext ctx, int streamId, HttpObject msg,
                      ChannelPromise promise) {
        if (msg instanceof HttpResponse res && res.status().codeClass() == HttpStatusClass.INFORMATIONAL
                && res.status().code() != 101) {
            if (!(res instanceof FullHttpResponse)) {
                ReferenceCountUtil.release(msg);
                throw new IllegalArgumentException(res.status() + " must be a FullHttpResponse");
            }
            encoder.writeHeaders(ctx, streamId, H2ResponseHeaders.head(res), 0, false, promise);
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpMessage head) {
            boolean end = msg instanceof FullHttpMessage full && !full.content().isReadable()
                    && full.trailingHeaders().isEmpty();
            encoder.writeHeaders(ctx, streamId, H2ResponseHeaders.head(head), 0, end, promise);
            if (end) {
                ReferenceCountUtil.release(msg);
                return;
            }
        }
        if (msg instanceof LastHttpContent last) {
            boolean trailers = !last.trailingHeaders().isEmpty();
            // An empty last part still ends the stream, unless the trailers do or a full message's HEADERS went.
            boolean filler = !(last instanceof FullHttpMessage) && !trailers;
            if (last.content().isReadable() || filler) {
                encoder.writeData(ctx, streamId, last.content(), 0, !trailers, promise);
            } else {
                last.release();
            }
            if (trailers) {
                encoder.writeHeaders(ctx, streamId, H2ResponseHeaders.trailers(last.trailingHeaders()), 0, true,
                        promise);
            }
        } else if (msg instanceof HttpContent content) {
            encoder.writeData(ctx, streamId, content.content(), 0, false, promise);
        }
    }

    /** A 1xx status but x01, as the codec reads it (it decodes one as a full message, for HttpObjectAggregator). */
    private static boolean informational(CharSequence status) {
        return status.length() == 3 && status.charAt(0) == '1' && status.charAt(1) >= '0' && status.charAt(1) <= '9'
                && status.charAt(2) >= '0' && status.charAt(2) <= '9' && status.charAt(2) != '1';
    }
}
