package io.remora.proxy.log;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Live tap ({@code GET /debug/tap}): every finished request is offered to the readers tapping this proxy, each
 * getting the access-log line of the requests its filter accepts as one chunk of its streamed response. Bounded per
 * reader: a reader with {@link #MAX_PENDING} lines not yet written, or whose connection is not writable, loses the
 * line (counted, in {@code remora_tap_lines_dropped_total} and in its own count), so a slow reader never holds a
 * request or grows memory. With nobody tapping, offering costs one volatile read.
 */
public final class RequestTap {
    /** Lines queued for one reader before further lines are dropped. */
    static final int MAX_PENDING = 256;
    /** Readers at once; more are refused (the admin answers 503). */
    public static final int MAX_READERS = 16;
    private static final Reader[] NONE = new Reader[0];

    private volatile Reader[] readers = NONE;
    private final LongAdder dropped = new LongAdder();

    /** Which requests a reader wants; null fields accept everything. */
    public record Filter(String pathPrefix, String authority, int statusClass) {
        /** @param statusClass 1–5 for 1xx–5xx; 0 for any */
        public Filter {
            if (statusClass < 0 || statusClass > 5) {
                throw new IllegalArgumentException("status class must be 1xx to 5xx");
            }
        }

        boolean accepts(StreamInfo info) {
            return (pathPrefix == null || (info.path() != null && info.path().startsWith(pathPrefix)))
                    && (authority == null || authority.equalsIgnoreCase(info.authority()))
                    && (statusClass == 0 || info.status() / 100 == statusClass);
        }
    }

    /** One tapping connection. */
    public final class Reader {
        private final Channel channel;
        private final Filter filter;
        private final AtomicInteger pending = new AtomicInteger();
        private final LongAdder lost = new LongAdder();
        private final ChannelFutureListener written = f -> pending.decrementAndGet();

        private Reader(Channel channel, Filter filter) {
            this.channel = channel;
            this.filter = filter;
        }

        /** Lines this reader lost because it did not keep up. */
        public long lost() {
            return lost.sum();
        }

        private void send(String line) {
            if (pending.get() >= MAX_PENDING || !channel.isWritable()) {
                lost.increment();
                dropped.increment();
                return;
            }
            pending.incrementAndGet();
            channel.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(line, StandardCharsets.UTF_8)))
                    .addListener(written);
        }
    }

    /** Starts tapping for {@code channel} (its response head already written); ends when the channel closes. */
    public synchronized Reader subscribe(Channel channel, Filter filter) {
        if (readers.length >= MAX_READERS) {
            return null;
        }
        Reader r = new Reader(channel, filter);
        Reader[] next = Arrays.copyOf(readers, readers.length + 1);
        next[next.length - 1] = r;
        readers = next;
        channel.closeFuture().addListener(f -> unsubscribe(r));
        return r;
    }

    private synchronized void unsubscribe(Reader r) {
        Reader[] now = readers;
        for (int i = 0; i < now.length; i++) {
            if (now[i] == r) {
                Reader[] next = new Reader[now.length - 1];
                System.arraycopy(now, 0, next, 0, i);
                System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                readers = next;
                return;
            }
        }
    }

    /** A request finished: its line goes to every reader whose filter takes it, formatted once. */
    public void offer(StreamInfo info) {
        Reader[] now = readers;
        if (now.length == 0) {
            return;
        }
        String line = null;
        for (Reader r : now) {
            if (r.filter.accepts(info)) {
                if (line == null) {
                    line = AccessLog.format(info) + "\n";
                }
                r.send(line);
            }
        }
    }

    public int readers() {
        return readers.length;
    }

    /** Lines dropped over all readers since the start. */
    public long dropped() {
        return dropped.sum();
    }
}
