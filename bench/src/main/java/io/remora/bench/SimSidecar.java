package io.remora.bench;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.MeshProtocol;
import io.remora.protocol.Node;

import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One simulated sidecar, reduced to the protocol: its own key pair and certificate, its own TLS connection
 * presenting it, one {@code Subscribe} stream that ACKs every push at once, and the wall time (one
 * {@link System#nanoTime()} clock for all) at which each push arrived.
 */
final class SimSidecar {
    /** The transport every simulated sidecar shares: one event loop group, one callback executor. */
    record Transport(String host, int port, EventLoopGroup group, Class<? extends SocketChannel> channelType,
                     Executor executor, TrustManager trust, SslProvider provider) {
    }

    /** A push as it arrived: its version, when ({@code System.nanoTime()}), and the size of its resources. */
    record Receipt(String version, long nanos, int chars) {
    }

    final int index;
    final Node node;
    final KeyPair keys;
    volatile List<X509Certificate> chain;
    private final List<Receipt> receipts = new ArrayList<>();
    private final CompletableFuture<Void> firstPush = new CompletableFuture<>();
    private volatile int count;
    private volatile Throwable error;
    private ManagedChannel channel;
    private StreamObserver<DiscoveryRequest> requests;

    SimSidecar(int index, Node node, KeyPair keys) {
        this.index = index;
        this.node = node;
        this.keys = keys;
    }

    /** Opens the connection and the stream; {@link #firstPush()} completes with the initial snapshot. */
    void subscribe(Transport t) throws SSLException {
        SslContext tls = GrpcSslContexts.configure(SslContextBuilder.forClient(), t.provider())
                .trustManager(t.trust())
                .endpointIdentificationAlgorithm(null) // SPIFFE authentication, as the sidecar does
                .keyManager(keys.getPrivate(), chain.toArray(X509Certificate[]::new))
                .build();
        channel = NettyChannelBuilder.forAddress(t.host(), t.port())
                .sslContext(tls)
                .eventLoopGroup(t.group())
                .channelType(t.channelType())
                .executor(t.executor())
                .maxInboundMessageSize(64 << 20)
                .keepAliveTime(360, TimeUnit.SECONDS) // the sidecar's setting
                .disableRetry()
                .build();
        ClientCall<DiscoveryRequest, DiscoveryResponse> call = channel.newCall(MeshProtocol.SUBSCRIBE,
                CallOptions.DEFAULT);
        StreamObserver<DiscoveryRequest> out = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                long now = System.nanoTime();
                synchronized (SimSidecar.this) {
                    receipts.add(new Receipt(r.version(), now, r.resources() == null ? 0 : r.resources().length()));
                    count = receipts.size();
                    requests.onNext(DiscoveryRequest.ack(r.version(), r.nonce()));
                }
                firstPush.complete(null);
            }

            @Override
            public void onError(Throwable e) {
                error = e;
                firstPush.completeExceptionally(e);
            }

            @Override
            public void onCompleted() {
                error = new IllegalStateException("the control plane ended the stream");
                firstPush.completeExceptionally(error);
            }
        });
        synchronized (this) {
            requests = out;
            requests.onNext(DiscoveryRequest.hello(node, ""));
        }
    }

    CompletableFuture<Void> firstPush() {
        return firstPush;
    }

    /** Pushes received so far (cheap: a volatile read). */
    int count() {
        return count;
    }

    synchronized Receipt receipt(int i) {
        return receipts.get(i);
    }

    Throwable error() {
        return error;
    }

    void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    void awaitClosed() throws InterruptedException {
        if (channel != null) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
