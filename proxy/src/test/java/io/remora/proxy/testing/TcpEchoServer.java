package io.remora.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.remora.proxy.Transport;
import io.remora.proxy.net.EpollHalfClosure;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP echo server on 127.0.0.1 (ephemeral port), with backpressure. With half-closure allowed (the
 * default) a client FIN makes it finish writing what it has echoed, then shut down its own output and close:
 * the client receives every byte it sent. Without it, a FIN closes the connection at once.
 */
public final class TcpEchoServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel server;
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    public TcpEchoServer() {
        this(true);
    }

    public TcpEchoServer(boolean allowHalfClosure) {
        Transport transport = Transport.best();
        group = transport.newGroup(1, "tcp-echo");
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannel())
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, allowHalfClosure)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            connections.incrementAndGet();
                            EpollHalfClosure.apply(ch);
                            ch.pipeline().addLast(new Echo());
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return address().getPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Connections accepted so far. */
    public long connectionCount() {
        return connections.get();
    }

    /** Bytes received (and echoed) so far. */
    public long bytesEchoed() {
        return bytes.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                bytes.addAndGet(b.readableBytes());
            }
            ctx.write(msg);
            if (!ctx.channel().isWritable()) {
                // stop reading before flushing: a flush that drains the buffer re-enables reading at once
                ctx.channel().config().setAutoRead(false);
                ctx.flush();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess() && f.channel() instanceof DuplexChannel d) {
                        d.shutdownOutput().addListener(ChannelFutureListener.CLOSE);
                    } else {
                        f.channel().close();
                    }
                });
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
