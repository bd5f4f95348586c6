package io.remora.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.remora.proxy.net.EpollHalfClosure;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * One relayed connection pair: its state, and what each event of either side (through a {@link RelaySide} on
 * each channel) does to it. Every method runs on the one event loop both channels share, so nothing here
 * needs a lock. Bytes the downstream sends while the upstream connects are queued, and written on connect or
 * released if it fails.
 */
final class Relay {
    enum State { CONNECTING, CONNECTED, FAILED, ABORTED }

    private final Channel down;
    private final InetSocketAddress target;
    private final InetSocketAddress source;
    private final TcpRelay.Secure secure;
    private final TcpRelay.Listener listener;
    private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>(4);
    private final RelayWrites.HalfClose halfClose = new RelayWrites.HalfClose(this::closeBoth);
    private Channel up;
    private State state = State.CONNECTING;
    private boolean downInputDone;
    private boolean upInputDone;
    private boolean reported;
    private long fromDown;
    private long fromUp;

    Relay(Channel down, InetSocketAddress target, InetSocketAddress source, TcpRelay.Secure secure,
          TcpRelay.Listener listener) {
        this.down = down;
        this.target = target;
        this.source = source;
        this.secure = secure;
        this.listener = listener;
    }

    void start(Duration connectTimeout, Class<? extends SocketChannel> channelClass) {
        down.config().setAutoRead(false);
        down.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        down.config().setWriteBufferWaterMark(TcpRelay.WATER_MARK);
        EpollHalfClosure.apply(down);
        if (down instanceof DuplexChannel d && d.isInputShutdown()) {
            downInputDone = true; // FIN arrived during protocol detection
        }
        down.pipeline().addLast(TcpRelay.HANDLER_NAME, new RelaySide(new Downstream()));
        if (!down.isActive()) {
            // The downstream closed before the relay was installed: nothing to connect for.
            state = State.ABORTED;
            down.closeFuture().addListener(f -> maybeReportClosed());
            return;
        }
        ChannelFuture connect = RelayConnect.connect(down, target, source, secure, connectTimeout, channelClass,
                new RelaySide(new Upstream()));
        up = connect.channel(); // before the listener: a connect that already failed calls it at once
        RelayConnect.whenReady(connect, secure, this::onConnect);
        up.closeFuture().addListener(f -> maybeReportClosed());
        down.closeFuture().addListener(f -> maybeReportClosed());
    }

    /** The upstream connected (and proved its identity, with mTLS), or could not. */
    private void onConnect(ChannelFuture f) {
        if (!f.isSuccess()) {
            up.close();
            if (state == State.CONNECTING) {
                state = State.FAILED;
                releaseQueued();
                down.close();
                listener.connectFailed(f.cause());
            }
            return;
        }
        if (state != State.CONNECTING) {
            up.close();
            return;
        }
        state = State.CONNECTED;
        EpollHalfClosure.apply(up);
        listener.upstreamChannel(up);
        listener.connected(target);
        if (!down.isActive()) {
            releaseQueued();
            up.close();
            return;
        }
        ByteBuf b;
        while ((b = queued.poll()) != null) {
            up.write(b, up.voidPromise());
        }
        if (downInputDone) {
            halfClose.shutdownOutputAfterWrites(up, true);
        } else {
            up.flush();
            down.config().setAutoRead(up.isWritable());
        }
        up.config().setAutoRead(down.isWritable());
    }

    /** The downstream closed (or its relay handler left) before the upstream connected: stop connecting. */
    private void abort() {
        if (state == State.CONNECTING) {
            state = State.ABORTED;
            releaseQueued();
            up.close();
        }
    }

    private void releaseQueued() {
        ByteBuf b;
        while ((b = queued.poll()) != null) {
            b.release();
        }
    }

    private void closeBoth() {
        down.close();
        if (up != null) {
            up.close();
        }
    }

    private void maybeReportClosed() {
        if (reported || state == State.FAILED || down.isOpen() || (up != null && up.isOpen())) {
            return;
        }
        reported = true;
        listener.closed(fromDown, fromUp);
    }

    /** The downstream's events. */
    private final class Downstream implements RelaySide.Events {
        @Override
        public void read(ByteBuf buf) {
            int n = buf.readableBytes();
            fromDown += n;
            if (n == 0) {
                buf.release();
            } else if (state == State.CONNECTING) {
                queued.add(buf);
            } else if (state == State.CONNECTED) {
                RelayWrites.forward(down, up, buf);
            } else {
                buf.release();
            }
        }

        @Override
        public void readComplete() {
            if (state == State.CONNECTED) {
                RelayWrites.readComplete(down, up);
            }
        }

        @Override
        public void writabilityChanged() {
            if (state == State.CONNECTED && !upInputDone) {
                up.config().setAutoRead(down.isWritable());
            }
        }

        @Override
        public void inputShutdown() {
            if (!downInputDone) {
                downInputDone = true;
                if (state == State.CONNECTED) {
                    halfClose.shutdownOutputAfterWrites(up, true);
                }
            }
        }

        @Override
        public void inactive() {
            if (state == State.CONNECTING) {
                abort();
            } else if (state == State.CONNECTED) {
                RelayWrites.closeAfterFlush(up);
            }
        }

        @Override
        public void failed() {
            abort();
            closeBoth();
        }

        @Override
        public void removed() {
            abort(); // only acts while connecting: nothing would forward the queued bytes any more
        }
    }

    /** The upstream's events. */
    private final class Upstream implements RelaySide.Events {
        @Override
        public void read(ByteBuf buf) {
            int n = buf.readableBytes();
            fromUp += n;
            if (n == 0) {
                buf.release();
            } else {
                RelayWrites.forward(up, down, buf);
            }
        }

        @Override
        public void readComplete() {
            RelayWrites.readComplete(up, down);
        }

        @Override
        public void writabilityChanged() {
            if (state == State.CONNECTED && !downInputDone) {
                down.config().setAutoRead(up.isWritable());
            }
        }

        @Override
        public void inputShutdown() {
            if (!upInputDone) {
                upInputDone = true;
                halfClose.shutdownOutputAfterWrites(down, false);
            }
        }

        @Override
        public void inactive() {
            RelayWrites.closeAfterFlush(down);
        }

        @Override
        public void failed() {
            closeBoth();
        }
    }
}
