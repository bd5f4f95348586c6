package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The HTTP/1.1 codec of a pooled upstream connection: what Netty's {@code HttpClientCodec(4096, 65536, 65536, true)}
 * does, with the response head's common pieces taken from constants instead of copied per response. Netty's request
 * decoder does that for five request header names; its response decoder for none, so every response's
 * {@code Server}, {@code Date}, {@code Content-Type}, {@code Content-Length} and {@code Connection} names, its
 * {@code HTTP/1.1}, status code and reason were new strings (390 of the 2,740 bytes an HTTP/1.1 request allocated),
 * and every lookup hashed them again. A name is matched exactly, byte for byte, in the two spellings upstreams send
 * (canonical and lowercase), so what is forwarded is what arrived.
 *
 * <p>As {@code HttpClientCodec}: the methods of the requests sent are queued, so that a response to {@code HEAD} has
 * no body and a 200 to {@code CONNECT} ends HTTP on the connection (its bytes pass on as they are); a connection that
 * closes with a request unanswered raises a {@link PrematureChannelClosureException}. The codec lives on one event
 * loop, so its counter is a plain field. {@code UpstreamHttp1CodecTest} holds the decoder to Netty's output.
 */
final class UpstreamHttp1Codec extends CombinedChannelDuplexHandler<UpstreamHttp1Codec.Decoder,
        UpstreamHttp1Codec.Encoder> {
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    /** Requests sent whole and not yet answered whole. */
    private long unanswered;
    /** After a 200 to CONNECT: no more HTTP on this connection. */
    private boolean done;

    UpstreamHttp1Codec() {
        init(new Decoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(4096)
                .setMaxHeaderSize(64 * 1024)
                .setMaxChunkSize(64 * 1024)), new Encoder());
    }

    final class Encoder extends HttpRequestEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                methods.offer(request.method());
            }
            super.encode(ctx, msg, out);
            if (!done && msg instanceof LastHttpContent) {
                unanswered++;
            }
        }
    }

    final class Decoder extends HttpResponseDecoder {
        /** The status code the line being read has, for its reason phrase. */
        private int code;

        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            if (done) {
                int readable = actualReadableBytes();
                if (readable > 0) {
                    out.add(buffer.readBytes(readable));
                }
                return;
            }
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof LastHttpContent) {
                    unanswered--;
                }
            }
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            HttpResponse response = (HttpResponse) msg;
            if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            // A peer that answers one request twice finds no method left: its second answer is read as it says.
            HttpMethod method = methods.poll();
            if (HttpMethod.HEAD.equals(method)) {
                return true;
            }
            if (HttpMethod.CONNECT.equals(method) && response.status().code() == 200) {
                done = true;
                methods.clear();
                return true;
            }
            return super.isContentAlwaysEmpty(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            super.channelInactive(ctx);
            if (unanswered > 0) {
                ctx.fireExceptionCaught(new PrematureChannelClosureException(
                        "channel gone inactive with " + unanswered + " missing response(s)"));
            }
        }

        @Override
        protected String splitFirstWordInitialLine(byte[] sb, int start, int length) {
            String version = HttpVersion.HTTP_1_1.text();
            if (ResponseHeadWords.equal(version, sb, start, length)) {
                return version;
            }
            return super.splitFirstWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] sb, int start, int length) {
            code = ResponseHeadWords.code(sb, start, length);
            return code != 0 ? ResponseHeadWords.status(code) : super.splitSecondWordInitialLine(sb, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] sb, int start, int length) {
            String reason = ResponseHeadWords.reason(code, sb, start, length);
            return reason != null ? reason : super.splitThirdWordInitialLine(sb, start, length);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
            AsciiString name = ResponseHeadWords.name(sb, start, length);
            return name != null ? name : super.splitHeaderName(sb, start, length);
        }
    }
}
