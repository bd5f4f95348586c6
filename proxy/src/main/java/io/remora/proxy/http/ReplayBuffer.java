package io.remora.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayList;

/**
 * The request parts of one exchange that the upstream has not taken yet, and, while a retry is still possible, the
 * parts it has taken too, so a retry can send the same request again. Up to {@code retainBytes} of body are kept;
 * past that the request can no longer be replayed and parts are kept only until they are written.
 *
 * <p>Parts are written as retained duplicates while they are kept for replay, and handed over as they are
 * otherwise, so every buffer is released exactly once whichever way the exchange ends.
 */
final class ReplayBuffer {
    private final ArrayList<HttpObject> parts = new ArrayList<>(4);
    private final int retainBytes;
    /** Parts [0, sent) went to the current upstream; those are only here for a replay. */
    private int sent;
    private int bytes;
    private int unsentBytes;
    private boolean replayable;

    /** @param retainBytes body bytes kept for a replay; 0 when the request will never be retried */
    ReplayBuffer(int retainBytes) {
        this.retainBytes = retainBytes;
        this.replayable = retainBytes > 0;
    }

    /** Whether the whole request so far is still here to be sent again. */
    boolean replayable() {
        return replayable;
    }

    /** Body bytes waiting for an upstream (not those kept only for a replay). */
    int unsentBytes() {
        return unsentBytes;
    }

    void add(HttpObject part) {
        parts.add(part);
        if (part instanceof HttpContent c) {
            int n = c.content().readableBytes();
            bytes += n;
            unsentBytes += n;
            if (replayable && bytes > retainBytes) {
                // Too big to keep: what was sent is dropped, the rest stays until it is written.
                replayable = false;
                dropSent();
            }
        }
    }

    /** Writes the parts the upstream has not had yet (without flushing). */
    void writeTo(Channel upstream) {
        int n = parts.size();
        if (replayable) {
            for (int i = sent; i < n; i++) {
                upstream.write(duplicate(parts.get(i)), upstream.voidPromise());
            }
            sent = n;
        } else {
            for (int i = sent; i < n; i++) {
                upstream.write(parts.get(i), upstream.voidPromise());
            }
            parts.clear();
            sent = 0;
        }
        unsentBytes = 0;
    }

    /** A new try: everything kept is unsent again. Only valid while {@link #replayable()}. */
    void rewind() {
        if (!replayable) {
            throw new IllegalStateException("the request cannot be replayed");
        }
        sent = 0;
        unsentBytes = bytes;
    }

    /** Stops keeping parts for a replay (no retry can happen any more). */
    void stopRetaining() {
        if (replayable) {
            replayable = false;
            dropSent();
        }
    }

    void release() {
        for (int i = 0; i < parts.size(); i++) {
            ReferenceCountUtil.release(parts.get(i));
        }
        parts.clear();
        sent = 0;
        bytes = 0;
        unsentBytes = 0;
    }

    private void dropSent() {
        for (int i = 0; i < sent; i++) {
            ReferenceCountUtil.release(parts.get(i));
        }
        parts.subList(0, sent).clear();
        sent = 0;
    }

    private static HttpObject duplicate(HttpObject part) {
        if (part == LastHttpContent.EMPTY_LAST_CONTENT) {
            return part;
        }
        if (part instanceof FullHttpRequest full) {
            if (full.content() == Unpooled.EMPTY_BUFFER) {
                // A bodiless request as the HTTP/1.1 side makes it: nothing in it is reference counted.
                return part;
            }
            // The head's headers are shared, not copied (retainedDuplicate would copy and re-validate every one):
            // each write is encoded as it is made, as a head without a body of its own is written again as it is.
            return new DefaultFullHttpRequest(full.protocolVersion(), full.method(), full.uri(),
                    full.content().retainedDuplicate(), full.headers(), full.trailingHeaders());
        }
        if (part instanceof HttpContent content) {
            return content.retainedDuplicate();
        }
        // A request head without a body of its own is not reference counted; it can be written again as it is.
        return part;
    }
}
