package io.remora.proxy.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.SpiffeId;
import io.remora.certs.TrustBundle;
import io.remora.proxy.Transport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * BoringSSL (netty-tcnative) and the JDK's TLS run the same code: every pairing of client and server provider
 * completes a mutual TLS handshake on loopback, and each side sees the other's SPIFFE ID.
 */
class MeshTlsProvidersTest {
    private static final SpiffeId SERVER = SpiffeId.workload("cluster.local", "shop", "payments");
    private static final SpiffeId CLIENT = SpiffeId.workload("cluster.local", "shop", "web");

    @ParameterizedTest(name = "client {0}, server {1}")
    @CsvSource({"JDK,JDK", "JDK,OPENSSL", "OPENSSL,JDK", "OPENSSL,OPENSSL"})
    void everyPairingOfProvidersHandshakesAndSeesTheIdentities(SslProvider clientProvider, SslProvider serverProvider)
            throws Exception {
        assertThat(clientProvider == SslProvider.JDK && serverProvider == SslProvider.JDK || OpenSsl.isAvailable())
                .as("netty-tcnative (BoringSSL) loads on this platform").isTrue();
        Clock clock = Clock.systemUTC();
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(1), clock);
        TrustBundle bundle = new TrustBundle("cluster.local", List.of(root.certificate()));
        MeshTls server = MeshTls.build(root.issue(SERVER, Duration.ofHours(1)), bundle, clock, serverProvider);
        MeshTls client = MeshTls.build(root.issue(CLIENT, Duration.ofHours(1)), bundle, clock, clientProvider);

        Transport transport = Transport.best();
        EventLoopGroup group = transport.newGroup(1, "tls-test");
        CompletableFuture<SpiffeId> seenByServer = new CompletableFuture<>();
        try {
            Channel listener = new ServerBootstrap().group(group).channel(transport.serverChannel())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            SslHandler ssl = server.server().newHandler(ch.alloc());
                            ch.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter());
                            ssl.handshakeFuture().addListener(f -> {
                                try {
                                    seenByServer.complete(MeshTls.peerIdentity(ssl));
                                } catch (Exception e) {
                                    seenByServer.completeExceptionally(f.cause() != null ? f.cause() : e);
                                }
                            });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            InetSocketAddress at = (InetSocketAddress) listener.localAddress();
            UpstreamTls upstream = new UpstreamTls(new IdentitySource() {
                @Override
                public MeshTls current() {
                    return client;
                }

                @Override
                public void close() {
                }
            }, TlsMeters.unregistered());
            Channel ch = new Bootstrap().group(group).channel(transport.socketChannel())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new ChannelInboundHandlerAdapter());
                            upstream.install(c.pipeline(), at, null);
                        }
                    }).connect(at).sync().channel();
            Channel verified = upstream.verified(ch, SERVER).get(10, TimeUnit.SECONDS);
            assertThat(verified).isSameAs(ch);
            assertThat(seenByServer.get(10, TimeUnit.SECONDS)).isEqualTo(CLIENT);
            ch.close().sync();
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
