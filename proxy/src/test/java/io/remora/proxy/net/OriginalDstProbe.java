package io.remora.proxy.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.remora.config.HostPort;
import io.remora.proxy.Transport;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Run inside a network namespace by {@link OriginalDstNetnsTest}: listens on each {@code listen=HOST:PORT},
 * connects to each {@code connect=HOST:PORT} in turn and prints, per connection, what {@link OriginalDst}
 * reports on the accepted side: {@code connect HOST:PORT -> dst ADDR PORT loop BOOL} (or {@code dst null}).
 */
public final class OriginalDstProbe {
    private OriginalDstProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<HostPort> listen = new ArrayList<>();
        List<HostPort> connect = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("listen=")) {
                listen.add(HostPort.parse(a.substring(7)));
            } else if (a.startsWith("connect=")) {
                connect.add(HostPort.parse(a.substring(8)));
            } else {
                throw new IllegalArgumentException("expected listen=HOST:PORT or connect=HOST:PORT, got " + a);
            }
        }
        Transport transport = Transport.best();
        System.out.println("transport " + transport.name());
        EventLoopGroup group = transport.newGroup(1, "probe");
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        try {
            for (HostPort hp : listen) {
                new ServerBootstrap().group(group).channel(transport.serverChannel())
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public boolean isSharable() {
                                return true;
                            }

                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                Channel ch = ctx.channel();
                                InetSocketAddress dst = OriginalDst.of(ch);
                                seen.add(dst == null ? "dst null"
                                        : "dst " + dst.getAddress().getHostAddress() + " " + dst.getPort()
                                        + " loop " + OriginalDst.isLoop(dst, ch, new OwnPorts()));
                                ctx.close();
                            }
                        })
                        .bind(new InetSocketAddress(hp.host(), hp.port())).sync();
            }
            for (HostPort hp : connect) {
                try (Socket s = new Socket(hp.host(), hp.port())) {
                    String result = seen.poll(10, TimeUnit.SECONDS);
                    System.out.println("connect " + hp + " -> " + result);
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
