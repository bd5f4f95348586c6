package io.remora.proxy.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.remora.config.IoTransport;
import io.remora.proxy.Transport;
import io.remora.proxy.testing.Digests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class EpollHalfClosureTest {

    @Test
    void appliesOnlyToEpollChannels() throws Exception {
        EmbeddedChannel embedded = new EmbeddedChannel();
        assertThat(EpollHalfClosure.apply(embedded)).isFalse();
        embedded.finishAndReleaseAll();

        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel ch = new ServerBootstrap().group(nio).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            assertThat(ch.eventLoop().submit(() -> EpollHalfClosure.apply(ch)).get()).isFalse();
            ch.close().sync();
        } finally {
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        assertThat(EpollHalfClosure.available()).isEqualTo(Epoll.isAvailable());
    }

    /**
     * After the peer's FIN (half-closure on), a large write that has to wait for the socket to drain must
     * still arrive complete. Netty 4.2.18's epoll transport loses it without the workaround.
     */
    @Test
    void writesAfterThePeersFinArriveComplete() throws Exception {
        Transport transport = Transport.of(IoTransport.EPOLL);
        assertThat(transport.name()).as("epoll transport not in use").isEqualTo("epoll");
        int size = 16 * 1024 * 1024;
        EventLoopGroup group = transport.newGroup(1, "half-closure-test");
        CompletableFuture<Channel> halfClosed = new CompletableFuture<>();
        CompletableFuture<Boolean> applied = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.SO_SNDBUF, 64 * 1024)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            applied.complete(EpollHalfClosure.apply(ch));
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ((ByteBuf) msg).release();
                                }

                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt instanceof ChannelInputShutdownEvent) {
                                        halfClosed.complete(ctx.channel());
                                    }
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (Socket s = new Socket()) {
                s.setReceiveBufferSize(64 * 1024);
                s.connect(server.localAddress(), 10_000);
                s.setSoTimeout(30_000);
                s.getOutputStream().write('x');
                s.shutdownOutput();
                Channel ch = halfClosed.get(10, TimeUnit.SECONDS);
                assertThat(applied.get()).isTrue();
                // Written from a later task: by then the FIN has been handled and no write is pending.
                CompletableFuture<ChannelFuture> write = new CompletableFuture<>();
                ch.eventLoop().execute(() -> {
                    ByteBuf data = ch.alloc().buffer(size);
                    new Digests.RandomStream(5).nextBytes(data, size);
                    write.complete(ch.writeAndFlush(data).addListener(f -> ch.close()));
                });
                InputStream in = s.getInputStream();
                assertThat(Digests.sha256Hex(in)).isEqualTo(Digests.sha256OfRandom(5, size));
                ChannelFuture written = write.get(10, TimeUnit.SECONDS);
                assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(written.cause()).isNull();
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
