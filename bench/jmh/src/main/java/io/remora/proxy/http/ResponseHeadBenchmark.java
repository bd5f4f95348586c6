package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What reading an upstream's HTTP/1.1 response costs a pooled connection's codec: nginx's answer to a GET (five
 * headers, a three-byte body) decoded by {@link UpstreamHttp1Codec} ({@code codec=remora}) or by Netty's
 * {@code HttpClientCodec} with the same limits ({@code codec=netty}), on an {@code EmbeddedChannel} (its cost is in
 * both). B/op is the figure: the difference is the strings the response head's common words no longer are.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ResponseHeadBenchmark {
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n"
            + "Date: Tue, 08 Dec 2026 01:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
            + "Connection: keep-alive\r\n\r\nok\n").getBytes(StandardCharsets.US_ASCII);

    @Param({"remora", "netty"})
    public String codec;

    private EmbeddedChannel channel;
    private ByteBuf response;

    @Setup
    public void setUp() {
        ChannelHandler handler = codec.equals("remora") ? new UpstreamHttp1Codec()
                : new HttpClientCodec(4096, 64 * 1024, 64 * 1024, true);
        channel = new EmbeddedChannel(handler);
        response = Unpooled.unreleasableBuffer(Unpooled.directBuffer(RESPONSE.length).writeBytes(RESPONSE));
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public int decode() {
        channel.writeInbound(response.retainedDuplicate());
        int parts = 0;
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            ReferenceCountUtil.release(msg);
            parts++;
        }
        return parts;
    }
}
