package io.remora.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link UpstreamHttp1Codec} reads what Netty's {@code HttpClientCodec(4096, 65536, 65536, true)} reads and writes
 * what it writes: for each exchange below both codecs are sent the same requests and fed the same response bytes,
 * whole and a byte at a time, and what they pass on (heads with version, status, reason and headers in order, body
 * parts, trailers, raw bytes after a CONNECT, decoder failures, the exception of a connection that closes with a
 * request unanswered) is compared. Requests are {@code METHOD} lines, responses raw bytes after {@code |}, with
 * {@code \n} for CRLF.
 */
class UpstreamHttp1CodecTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "GET|HTTP/1.1 200 OK\nServer: nginx/1.22.1\nDate: Tue, 08 Dec 2026 01:00:00 GMT\nContent-Type: text/plain"
            + "\nContent-Length: 3\nConnection: keep-alive\n\nok\n",
        "GET|HTTP/1.1 200 OK\ncontent-type: text/plain\ncontent-length: 2\nx-custom: 1\nX-Request-Id: r\n\nok",
        "GET|HTTP/1.1 200 OK\nCONTENT-TYPE: a\ncOnTeNt-LeNgTh: 0\nServer : spaced\nServer:\n\n",
        "GET|HTTP/1.1 200 Fine Thanks\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 200\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 200 \nContent-Length: 0\n\n",
        "GET|HTTP/1.1 404 Not Found\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 503 Service Unavailable\nRetry-After: 1\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 299 Custom\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 599 Whatever\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 999 Big\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 20x OK\nContent-Length: 0\n\n",
        "GET|HTTP/1.0 200 OK\nContent-Length: 1\n\nx",
        "GET|HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nTrailer: Grpc-Status\n\n3\nabc\n0\nGrpc-Status: 0\n\n",
        "GET|HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "GET|HTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.1 204 No Content\n\n",
        "HEAD|HTTP/1.1 200 OK\nContent-Length: 10\n\n",
        "HEAD,GET|HTTP/1.1 200 OK\nContent-Length: 10\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\nhi",
        "CONNECT|HTTP/1.1 200 Connection Established\n\nraw bytes after the tunnel opened",
        "GET|HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n\u0081\u0002hi",
        "GET|HTTP/1.1 304 Not Modified\nETag: \"x\"\n\n",
        "GET|HTTP/1.1 200 OK\nContent-Length: 1\nContent-Length: 2\n\nab",
        "GET|HTTP/1.1 200 OK\nBad Header Without Colon\n\n",
        "GET|NOT HTTP AT ALL\n\n",
        "GET|HTTP/1.1 200 OK\nContent-Length: 5\n\nab",
        "GET|HTTP/1.1 200 OK\n\nread until the close",
    })
    void readsAsNettysClientCodecReads(String exchange) {
        String[] parts = exchange.split("\\|", 2);
        byte[] response = parts[1].replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        for (boolean byteAtATime : new boolean[] {false, true}) {
            List<String> ours = run(UpstreamHttp1Codec::new, parts[0], response, byteAtATime);
            List<String> netty = run(() -> new HttpClientCodec(4096, 64 * 1024, 64 * 1024, true), parts[0],
                    response, byteAtATime);
            assertThat(ours).as("%s, a byte at a time: %s", exchange, byteAtATime).isEqualTo(netty);
        }
    }

    @Test
    void aCommonNameIsItsConstantInEitherSpellingAndAnyOtherSpellingIsKept() {
        EmbeddedChannel ch = new EmbeddedChannel(new UpstreamHttp1Codec());
        ch.writeOutbound(request("GET"));
        releaseAll(ch.outboundMessages());
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Type: a\r\ncontent-length: 0\r\nSERVER: s\r\n\r\n"));

        HttpResponse head = ch.readInbound();
        List<CharSequence> names = new ArrayList<>();
        head.headers().iteratorCharSequence().forEachRemaining(e -> names.add(e.getKey()));

        assertThat(names.get(0)).isNotNull().isSameAs(constant("Content-Type"));
        assertThat(names.get(1)).isSameAs(constant("content-length"));
        assertThat(names.get(2).toString()).isEqualTo("SERVER");
        releaseAll(ch.inboundMessages());
        ch.finishAndReleaseAll();
    }

    @Test
    void aConnectionThatClosesWithARequestUnansweredSaysSoAsNettysDoes() {
        for (Supplier<ChannelHandler> codec : List.<Supplier<ChannelHandler>>of(UpstreamHttp1Codec::new,
                () -> new HttpClientCodec(4096, 64 * 1024, 64 * 1024, true))) {
            List<Throwable> caught = new ArrayList<>();
            EmbeddedChannel ch = new EmbeddedChannel(codec.get(), new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    caught.add(cause);
                }
            });
            ch.writeOutbound(request("GET"));
            ch.writeOutbound(request("GET"));
            releaseAll(ch.outboundMessages());
            ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
            releaseAll(ch.inboundMessages());
            ch.close();

            assertThat(caught).singleElement().satisfies(t -> assertThat(t.getMessage())
                    .isEqualTo("channel gone inactive with 1 missing response(s)"));
            ch.finishAndReleaseAll();
        }
    }

    private static AsciiString constant(String spelling) {
        byte[] b = spelling.getBytes(StandardCharsets.US_ASCII);
        return ResponseHeadWords.name(b, 0, b.length);
    }

    /** What a codec passes on for {@code methods} (comma-separated) sent and {@code response} received. */
    private static List<String> run(Supplier<ChannelHandler> codec, String methods, byte[] response,
                                    boolean byteAtATime) {
        List<String> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(codec.get(), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                seen.add("exception " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
            }
        });
        for (String method : methods.split(",")) {
            ch.writeOutbound(request(method));
        }
        Object out;
        while ((out = ch.readOutbound()) != null) {
            ByteBuf buf = (ByteBuf) out;
            seen.add("sent " + buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        if (byteAtATime) {
            for (byte b : response) {
                ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
                drain(ch, seen);
            }
        } else {
            ch.writeInbound(Unpooled.wrappedBuffer(response));
            drain(ch, seen);
        }
        ch.finish();
        drain(ch, seen);
        return merged(seen);
    }

    private static void drain(EmbeddedChannel ch, List<String> seen) {
        Object in;
        while ((in = ch.readInbound()) != null) {
            seen.add(describe(in));
            ReferenceCountUtil.release(in);
        }
    }

    private static String describe(Object msg) {
        StringBuilder sb = new StringBuilder();
        if (msg instanceof HttpObject obj && !obj.decoderResult().isSuccess()) {
            sb.append("failed ").append(obj.decoderResult().cause()).append(' ');
        }
        if (msg instanceof HttpResponse res) {
            sb.append("head ").append(res.protocolVersion()).append(' ').append(res.status().code()).append(" [")
                    .append(res.status().reasonPhrase()).append("]");
            for (Map.Entry<CharSequence, CharSequence> e : (Iterable<Map.Entry<CharSequence, CharSequence>>)
                    res.headers()::iteratorCharSequence) {
                sb.append(" {").append(e.getKey()).append(": ").append(e.getValue()).append('}');
            }
        }
        if (msg instanceof HttpContent content) {
            sb.append(msg instanceof LastHttpContent ? " last " : " part ")
                    .append(content.content().toString(StandardCharsets.ISO_8859_1));
            if (msg instanceof LastHttpContent last) {
                last.trailingHeaders().forEach(e -> sb.append(" {").append(e.getKey()).append(": ")
                        .append(e.getValue()).append('}'));
            }
        } else if (msg instanceof ByteBuf buf) {
            sb.append("bytes ").append(buf.toString(StandardCharsets.ISO_8859_1));
        }
        return sb.toString();
    }

    /** Body parts and raw bytes joined, since how a body is cut into parts follows the reads, not the codec. */
    private static List<String> merged(List<String> seen) {
        List<String> out = new ArrayList<>();
        for (String s : seen) {
            int last = out.size() - 1;
            if (last >= 0 && s.startsWith(" part ") && out.get(last).startsWith(" part ")) {
                out.set(last, out.get(last) + s.substring(6));
            } else if (last >= 0 && s.startsWith("bytes ") && out.get(last).startsWith("bytes ")) {
                out.set(last, out.get(last) + s.substring(6));
            } else {
                out.add(s);
            }
        }
        return out;
    }

    private static DefaultFullHttpRequest request(String method) {
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                method.equals("CONNECT") ? "example:443" : "/");
        req.headers().set(HttpHeaderNames.HOST, "example");
        return req;
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static void releaseAll(java.util.Queue<Object> q) {
        Object o;
        while ((o = q.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
    }
}
