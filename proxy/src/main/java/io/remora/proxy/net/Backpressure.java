package io.remora.proxy.net;

import io.netty.channel.WriteBufferWaterMark;

/** The one write-buffer setting of every proxied channel, downstream and upstream, HTTP and TCP. */
public final class Backpressure {
    private Backpressure() {
    }

    /**
     * Writes queue up to 64 KiB before a channel reports unwritable and its peer stops reading; reading
     * resumes below 32 KiB.
     */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);
}
