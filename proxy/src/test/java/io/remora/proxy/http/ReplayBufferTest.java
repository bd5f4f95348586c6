package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplayBufferTest {
    private static HttpContent part(String s) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
    }

    /** Everything written to {@code ch}, as text; the written messages are released. */
    private static List<String> drain(EmbeddedChannel ch) {
        List<String> out = new ArrayList<>();
        Object m;
        while ((m = ch.readOutbound()) != null) {
            if (m instanceof HttpRequest r) {
                out.add(r.method() + " " + r.uri());
            } else if (m instanceof HttpContent c) {
                out.add(c.content().toString(StandardCharsets.US_ASCII) + (m instanceof LastHttpContent ? "|" : ""));
            }
            ReferenceCountUtil.release(m);
        }
        return out;
    }

    @Test
    void aWholeRequestIsWrittenAgainOnEveryTryWithItsOwnHeadersAndItsBodyReleasedOnce() {
        ReplayBuffer buffer = new ReplayBuffer(64);
        FullHttpRequest whole = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/pay",
                Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII));
        whole.headers().set("x-try", "kept");
        buffer.add(whole);
        for (int i = 0; i < 2; i++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            buffer.writeTo(ch);
            ch.flush();
            FullHttpRequest sent = ch.readOutbound();
            assertThat(sent.method() + " " + sent.uri()).as("try %d", i).isEqualTo("POST /pay");
            assertThat(sent.headers().get("x-try")).isEqualTo("kept");
            assertThat(sent.content().toString(StandardCharsets.US_ASCII)).isEqualTo("abc");
            sent.release();
            buffer.rewind();
        }
        assertThat(whole.refCnt()).as("still held for another try").isEqualTo(1);
        buffer.release();
        assertThat(whole.refCnt()).isZero();
    }

    @Test
    void aRetainedRequestIsWrittenAgainOnEveryTry() {
        ReplayBuffer buffer = new ReplayBuffer(64);
        buffer.add(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/pay"));
        buffer.add(part("abc"));
        EmbeddedChannel first = new EmbeddedChannel();
        buffer.writeTo(first);
        first.flush();
        buffer.add(new DefaultLastHttpContent(Unpooled.copiedBuffer("def", StandardCharsets.US_ASCII)));
        buffer.writeTo(first);
        first.flush();
        assertThat(drain(first)).containsExactly("POST /pay", "abc", "def|");

        buffer.rewind();
        assertThat(buffer.unsentBytes()).isEqualTo(6);
        EmbeddedChannel second = new EmbeddedChannel();
        buffer.writeTo(second);
        second.flush();
        assertThat(drain(second)).containsExactly("POST /pay", "abc", "def|");
        buffer.release();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }

    @Test
    void aBodyAboveTheLimitIsNoLongerReplayableAndKeptOnlyUntilWritten() {
        ReplayBuffer buffer = new ReplayBuffer(4);
        buffer.add(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/big"));
        HttpContent abc = part("abc");
        buffer.add(abc);
        EmbeddedChannel ch = new EmbeddedChannel();
        buffer.writeTo(ch);
        assertThat(buffer.replayable()).isTrue();
        HttpContent more = part("defgh");
        ByteBuf moreBuf = more.content();
        buffer.add(more);
        assertThat(buffer.replayable()).isFalse();
        // The kept copy of what was sent is released; the upstream holds its own duplicate.
        assertThat(abc.refCnt()).isEqualTo(1);
        buffer.writeTo(ch);
        ch.flush();
        assertThat(moreBuf.refCnt()).isEqualTo(1);
        assertThat(drain(ch)).containsExactly("PUT /big", "abc", "defgh");
        assertThat(moreBuf.refCnt()).isZero();
        assertThatThrownBy(buffer::rewind).isInstanceOf(IllegalStateException.class);
        buffer.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void withoutRetriesPartsAreHandedOverAsTheyAre() {
        ReplayBuffer buffer = new ReplayBuffer(0);
        assertThat(buffer.replayable()).isFalse();
        HttpContent abc = part("abc");
        buffer.add(abc);
        assertThat(buffer.unsentBytes()).isEqualTo(3);
        EmbeddedChannel ch = new EmbeddedChannel();
        buffer.writeTo(ch);
        ch.flush();
        assertThat(buffer.unsentBytes()).isZero();
        HttpContent written = ch.readOutbound();
        assertThat(written).isSameAs(abc);
        written.release();
        buffer.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void releaseFreesWhatWasNeverWritten() {
        ReplayBuffer buffer = new ReplayBuffer(64);
        HttpContent abc = part("abc");
        buffer.add(abc);
        buffer.add(LastHttpContent.EMPTY_LAST_CONTENT);
        buffer.release();
        assertThat(abc.refCnt()).isZero();
    }
}
