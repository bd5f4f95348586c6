package io.remora.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;

/**
 * Moving a relay's bytes from one side to the other with backpressure, and ending each direction only once its
 * bytes are out: a side stops reading as soon as the other side's outbound buffer passes the high water mark and
 * resumes when it drains (the writability events, in {@link Relay}); a shutdown or close waits for the writes queued
 * before it, since shutting down with writes pending would fail them.
 */
final class RelayWrites {
    private RelayWrites() {
    }

    /** Forward one read from {@code from} to {@code to}; stop reading as soon as {@code to} is saturated. */
    static void forward(Channel from, Channel to, ByteBuf buf) {
        if (to.isActive()) {
            to.write(buf, to.voidPromise());
            if (!to.isWritable()) {
                // Stop reading before flushing: if the flush drains the buffer, the writability event
                // it fires turns reading back on; the other order would leave reading off for good.
                from.config().setAutoRead(false);
                to.flush();
            }
        } else {
            buf.release();
        }
    }

    static void readComplete(Channel from, Channel to) {
        to.flush();
        if (!to.isWritable()) {
            from.config().setAutoRead(false);
        }
    }

    /** Writes out what is queued for {@code ch}, then closes it. */
    static void closeAfterFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /**
     * Half-close carried across: when one side sent its FIN, the other side's output is shut down once the bytes
     * already queued for it are written; the pair is closed when both directions have finished, and at once when a
     * shutdown fails.
     */
    static final class HalfClose {
        private final Runnable closeBoth;
        private boolean upOutputDone;
        private boolean downOutputDone;

        HalfClose(Runnable closeBoth) {
            this.closeBoth = closeBoth;
        }

        /** Shuts down {@code target}'s output once everything queued for it has been written. */
        void shutdownOutputAfterWrites(Channel target, boolean isUp) {
            target.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) wf -> {
                if (!wf.isSuccess() || !(target instanceof DuplexChannel duplex)) {
                    closeBoth.run();
                    return;
                }
                duplex.shutdownOutput().addListener((ChannelFutureListener) sf -> {
                    if (!sf.isSuccess()) {
                        closeBoth.run();
                        return;
                    }
                    if (isUp) {
                        upOutputDone = true;
                    } else {
                        downOutputDone = true;
                    }
                    if (upOutputDone && downOutputDone) {
                        closeBoth.run(); // both directions finished
                    }
                });
            });
        }
    }
}
