package io.remora.proxy.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.remora.proxy.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class OriginalDstTest {

    /** A struct sockaddr_in / sockaddr_in6 as the kernel fills it: family in host order, port big-endian. */
    private static ByteBuffer sockaddr(int family, int port, byte[] address, int scopeId, int size) {
        ByteBuffer b = ByteBuffer.allocate(size);
        b.order(ByteOrder.nativeOrder()).putShort(0, (short) family);
        b.put(2, (byte) (port >>> 8)).put(3, (byte) port);
        if (family != OriginalDst.AF_INET6) {
            b.position(4);
            b.put(address);
        } else {
            b.position(8);
            b.put(address);
            b.order(ByteOrder.nativeOrder()).putInt(24, scopeId);
        }
        b.position(0);
        return b;
    }

    private static byte[] ip(String literal) throws Exception {
        return InetAddress.getByName(literal).getAddress();
    }

    @Test
    void parsesSockaddrIn() throws Exception {
        InetSocketAddress dst = OriginalDst.parse(sockaddr(OriginalDst.AF_INET, 9999, ip("10.1.2.3"), 0, 16));
        assertThat(dst).isEqualTo(new InetSocketAddress("10.1.2.3", 9999));
        // ports above 32767 must not come out negative
        assertThat(OriginalDst.parse(sockaddr(OriginalDst.AF_INET, 65535, ip("127.0.0.2"), 0, 16)).getPort())
                .isEqualTo(65535);
        assertThat(OriginalDst.parse(sockaddr(OriginalDst.AF_INET, 0x1F90, ip("192.168.255.254"), 0, 16)))
                .isEqualTo(new InetSocketAddress("192.168.255.254", 8080));
    }

    @Test
    void parsesSockaddrIn6() throws Exception {
        InetSocketAddress dst = OriginalDst.parse(sockaddr(OriginalDst.AF_INET6, 443, ip("2001:db8::7"), 0, 28));
        assertThat(dst.getAddress()).isInstanceOf(Inet6Address.class).isEqualTo(InetAddress.getByName("2001:db8::7"));
        assertThat(dst.getPort()).isEqualTo(443);

        InetSocketAddress linkLocal = OriginalDst.parse(sockaddr(OriginalDst.AF_INET6, 80, ip("fe80::1"), 3, 28));
        assertThat(((Inet6Address) linkLocal.getAddress()).getScopeId()).isEqualTo(3);

        // an IPv4 flow on a dual-stack socket is reported as an IPv4-mapped address
        byte[] v4mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 9};
        InetSocketAddress mapped = OriginalDst.parse(sockaddr(OriginalDst.AF_INET6, 53, v4mapped, 0, 28));
        assertThat(mapped.getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(mapped).isEqualTo(new InetSocketAddress("10.0.0.9", 53));
    }

    @Test
    void rejectsWhatIsNotAnAddress() throws Exception {
        assertThat(OriginalDst.parse(ByteBuffer.allocate(16))).as("all zero (family 0)").isNull();
        assertThat(OriginalDst.parse(sockaddr(OriginalDst.AF_INET, 0, ip("10.0.0.1"), 0, 16))).as("port 0").isNull();
        assertThat(OriginalDst.parse(sockaddr(1 /* AF_UNIX */, 80, ip("10.0.0.1"), 0, 16))).isNull();
        assertThat(OriginalDst.parse(ByteBuffer.allocate(6))).as("too short").isNull();
        ByteBuffer shortV6 = sockaddr(OriginalDst.AF_INET6, 80, ip("::1"), 0, 28);
        shortV6.limit(20);
        assertThat(OriginalDst.parse(shortV6)).isNull();
    }

    @Test
    void readsRelativeToThePositionWithoutMovingIt() throws Exception {
        ByteBuffer inner = sockaddr(OriginalDst.AF_INET, 1234, ip("10.9.8.7"), 0, 16);
        ByteBuffer outer = ByteBuffer.allocate(20);
        outer.position(4);
        outer.put(inner);
        outer.position(4);
        assertThat(OriginalDst.parse(outer)).isEqualTo(new InetSocketAddress("10.9.8.7", 1234));
        assertThat(outer.position()).isEqualTo(4);
    }

    @Test
    void unavailableOnChannelsThatAreNotUnixNative() throws Exception {
        EmbeddedChannel embedded = new EmbeddedChannel();
        assertThat(OriginalDst.of(embedded)).isNull();
        embedded.finishAndReleaseAll();

        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Accepted a = accept(nio, NioServerSocketChannel.class);
            assertThat(a.origDst()).isNull();
        } finally {
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * Without a REDIRECT rule the flow either has no NAT entry (null) or, once conntrack is active in this
     * namespace, reports the address the client actually connected to, which is the listener itself: a loop.
     */
    @Test
    void directConnectionIsUnavailableOrTheListenerItself() throws Exception {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "origdst-test");
        try {
            Accepted a = accept(group, transport.serverChannel());
            if (a.origDst() != null) {
                assertThat(a.origDst()).isEqualTo(a.local());
                assertThat(a.loop()).isTrue();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void loopDetection() throws Exception {
        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "origdst-test");
        try {
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel server = listen(group, transport.serverChannel(), accepted);
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            try (Socket client = new Socket("127.0.0.1", port)) {
                Channel ch = accepted.get(10, TimeUnit.SECONDS);
                int unusedPort = port == 1 ? 2 : 1;
                OwnPorts own = new OwnPorts();
                assertThat(OriginalDst.isLoop(null, ch, own)).isFalse();
                // the listener's own address: a direct connection to the capture port
                assertThat(OriginalDst.isLoop(new InetSocketAddress("127.0.0.1", port), ch, own)).isTrue();
                // another local address on the listener's port
                assertThat(OriginalDst.isLoop(new InetSocketAddress("127.0.0.5", port), ch, own)).isTrue();
                assertThat(OriginalDst.isLoop(new InetSocketAddress("0.0.0.0", port), ch, own)).isTrue();
                // the same port on a remote host (TEST-NET-1, never a local address) is real traffic
                assertThat(OriginalDst.isLoop(new InetSocketAddress("192.0.2.1", port), ch, own)).isFalse();
                // local addresses on ports that are not ours are local services, not loops
                assertThat(OriginalDst.isLoop(new InetSocketAddress("127.0.0.1", unusedPort), ch, own)).isFalse();
                // ...unless another listener of the proxy owns that port
                own.add(unusedPort);
                try {
                    assertThat(own.snapshot()).contains(unusedPort);
                    assertThat(OriginalDst.isLoop(new InetSocketAddress("127.0.0.1", unusedPort), ch, own)).isTrue();
                    assertThat(OriginalDst.isLoop(new InetSocketAddress("192.0.2.1", unusedPort), ch, own)).isFalse();
                } finally {
                    own.remove(unusedPort);
                }
                assertThat(OriginalDst.isLoop(new InetSocketAddress("127.0.0.1", unusedPort), ch, own)).isFalse();
                // a non-loopback address of this host on our port is a loop too
                Optional<InetAddress> hostAddress = NetworkInterface.networkInterfaces()
                        .flatMap(NetworkInterface::inetAddresses)
                        .filter(addr -> !addr.isLoopbackAddress() && addr instanceof Inet4Address)
                        .findFirst();
                if (hostAddress.isPresent()) {
                    assertThat(OriginalDst.isLoop(new InetSocketAddress(hostAddress.get(), port), ch, own)).isTrue();
                }
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private record Accepted(InetSocketAddress local, InetSocketAddress origDst, boolean loop) {
    }

    private static Channel listen(EventLoopGroup group, Class<? extends io.netty.channel.ServerChannel> type,
                                  CompletableFuture<Channel> accepted) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(type)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public boolean isSharable() {
                        return true;
                    }

                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.complete(ctx.channel());
                        ctx.fireChannelActive();
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    /** Accepts one loopback connection and reads OriginalDst on the accepted channel's loop. */
    private static Accepted accept(EventLoopGroup group, Class<? extends io.netty.channel.ServerChannel> type)
            throws Exception {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel server = listen(group, type, accepted);
        try (Socket client = new Socket("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort())) {
            Channel ch = accepted.get(10, TimeUnit.SECONDS);
            return ch.eventLoop().submit(() -> {
                InetSocketAddress dst = OriginalDst.of(ch);
                return new Accepted((InetSocketAddress) ch.localAddress(), dst, OriginalDst.isLoop(dst, ch, new OwnPorts()));
            }).get(10, TimeUnit.SECONDS);
        } finally {
            server.close().sync();
        }
    }
}
