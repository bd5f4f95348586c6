package io.remora.proxy.log;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The tap's bound and filters, on channels whose writes the test completes or holds. */
class RequestTapTest {
    /** Keeps every write pending (a reader that never reads); releases nothing until told. */
    private static final class Holding extends ChannelOutboundHandlerAdapter {
        final List<Object> held = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            held.add(msg);
        }
    }

    private static StreamInfo request(String path, int status) {
        StreamInfo info = new StreamInfo(0, 0, true, "127.0.0.1");
        info.request("HTTP/1.1", "GET", "a.test", path, null, false);
        info.status(status);
        return info;
    }

    @Test
    void aReaderThatDoesNotKeepUpLosesWhatIsPastItsBoundAndTheLossIsCounted() {
        Holding holding = new Holding();
        EmbeddedChannel ch = new EmbeddedChannel(holding);
        RequestTap tap = new RequestTap();
        RequestTap.Reader reader = tap.subscribe(ch, new RequestTap.Filter(null, null, 0));
        for (int i = 0; i < RequestTap.MAX_PENDING + 10; i++) {
            tap.offer(request("/x", 200));
        }
        ch.runPendingTasks();
        assertThat(holding.held).hasSize(RequestTap.MAX_PENDING);
        assertThat(reader.lost()).isEqualTo(10);
        assertThat(tap.dropped()).isEqualTo(10);
        holding.held.forEach(ReferenceCountUtil::release);
        ch.close();
        assertThat(tap.readers()).isZero();
    }

    @Test
    void filtersTakePathPrefixAuthorityAndStatusClass() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RequestTap tap = new RequestTap();
        tap.subscribe(ch, new RequestTap.Filter("/api", "A.TEST", 5));
        tap.offer(request("/api/x", 503));
        tap.offer(request("/api/x", 200));
        tap.offer(request("/web", 503));
        ch.runPendingTasks();
        HttpContent only = ch.readOutbound();
        assertThat(only.content().toString(java.nio.charset.StandardCharsets.UTF_8)).contains("\"path\":\"/api/x\"")
                .contains("\"status\":503").endsWith("\n");
        only.release();
        assertThat((Object) ch.readOutbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void atMostSoManyReadersAtOnce() {
        RequestTap tap = new RequestTap();
        for (int i = 0; i < RequestTap.MAX_READERS; i++) {
            assertThat(tap.subscribe(new EmbeddedChannel(), new RequestTap.Filter(null, null, 0))).isNotNull();
        }
        assertThat(tap.subscribe(new EmbeddedChannel(), new RequestTap.Filter(null, null, 0))).isNull();
    }
}
