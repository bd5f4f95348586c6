package io.remora.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ProtocolDetectorTest {

    /** Runs the detector on {@code chunks} fed one by one; returns what it decided (null: still waiting). */
    private static Detection feed(String... chunks) {
        List<Detected> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast("detect", new ProtocolDetector(0, (ctx, d) -> {
            seen.add(d);
            ctx.pipeline().addLast("sink", new ChannelInboundHandlerAdapter());
        }));
        for (String c : chunks) {
            ch.writeInbound(Unpooled.copiedBuffer(c, StandardCharsets.ISO_8859_1));
        }
        StringBuilder passed = new StringBuilder();
        Object m;
        while ((m = ch.readInbound()) != null) {
            ByteBuf b = (ByteBuf) m;
            passed.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        boolean detectorLeft = ch.pipeline().get(io.remora.proxy.net.Handlers.DETECT) == null;
        assertFalse(ch.finishAndReleaseAll(), "nothing may be left in the channel");
        return new Detection(seen.isEmpty() ? null : seen.get(0), seen.size(), passed.toString(), detectorLeft);
    }

    record Detection(Detected what, int calls, String passedOn, boolean detectorLeft) {
    }

    static Stream<Arguments> samples() {
        return Stream.of(
                Arguments.of("GET / HTTP/1.1\r\nHost: a\r\n\r\n", Detected.HTTP1),
                Arguments.of("POST /x HTTP/1.1\r\n", Detected.HTTP1),
                Arguments.of("OPTIONS * HTTP/1.1\r\n", Detected.HTTP1),
                Arguments.of("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0000", Detected.H2C),
                Arguments.of("SSH-2.0-OpenSSH_9.2\r\n", Detected.OPAQUE),
                Arguments.of("\u0001\u0002\u0003", Detected.OPAQUE),
                Arguments.of("GETX / HTTP/1.1", Detected.OPAQUE));
    }

    @ParameterizedTest
    @MethodSource("samples")
    void detectsAndPassesEveryByteOn(String input, Detected expected) {
        Detection d = feed(input);
        assertThat(d.what()).isEqualTo(expected);
        assertThat(d.calls()).isEqualTo(1);
        assertThat(d.passedOn()).as("bytes handed to the next handler").isEqualTo(input);
        assertThat(d.detectorLeft()).isTrue();
    }

    @Test
    void tlsClientHelloIsTls() {
        String hello = "\u0016\u0003\u0001\u0000\u0005hello";
        assertThat(feed(hello).what()).isEqualTo(Detected.TLS);
    }

    @Test
    void waitsWhileTheBytesArePrefixesThenDecides() {
        Detection d = feed("G", "E", "T", " /slow HTTP/1.1\r\n");
        assertThat(d.what()).isEqualTo(Detected.HTTP1);
        assertThat(d.passedOn()).isEqualTo("GET /slow HTTP/1.1\r\n");

        Detection h2 = feed("PRI * HT", "TP/2.0\r\n\r\nSM\r\n\r\n");
        assertThat(h2.what()).isEqualTo(Detected.H2C);
        assertThat(h2.passedOn()).isEqualTo("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    }

    @Test
    void aPrefixAloneDecidesNothing() {
        Detection d = feed("PO");
        assertThat(d.what()).isNull();
        assertThat(d.detectorLeft()).isFalse();
    }
}
