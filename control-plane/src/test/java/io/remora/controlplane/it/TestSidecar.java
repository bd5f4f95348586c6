package io.remora.controlplane.it;

import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContextBuilder;
import io.remora.certs.Csr;
import io.remora.certs.KeyPairs;
import io.remora.certs.Pem;
import io.remora.certs.SvidTrustManager;
import io.remora.certs.TrustBundle;
import io.remora.protocol.CertificateRequest;
import io.remora.protocol.CertificateResponse;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.MeshProtocol;
import io.remora.protocol.Node;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A sidecar reduced to the protocol: gets a certificate with a token, subscribes, answers each push with what
 * {@code answer} decides (ACK or NACK), and keeps what it received.
 */
public final class TestSidecar implements AutoCloseable {
    public final BlockingQueue<DiscoveryResponse> received = new LinkedBlockingQueue<>();
    public final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    final List<X509Certificate> chain;
    private final ManagedChannel channel;
    private final StreamObserver<DiscoveryRequest> requests;

    public static List<X509Certificate> sign(int port, TrustBundle bundle, String token, KeyPair keys) {
        ManagedChannel plain = channel(port, bundle, null, null);
        try {
            var stub = io.grpc.stub.ClientCalls.blockingUnaryCall(
                    io.grpc.ClientInterceptors.intercept(plain, MetadataUtils.newAttachHeadersInterceptor(bearer(token))),
                    MeshProtocol.SIGN_CERTIFICATE, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                    new CertificateRequest(Pem.encode(Csr.create(keys))));
            return Pem.certificates("response", stub.certificateChain());
        } finally {
            plain.shutdownNow();
        }
    }

    public TestSidecar(int port, TrustBundle bundle, String token, Node node, String running,
                Function<DiscoveryResponse, DiscoveryRequest> answer) {
        KeyPair keys = KeyPairs.ecP256();
        this.chain = sign(port, bundle, token, keys);
        this.channel = channel(port, bundle, keys, chain);
        ClientCall<DiscoveryRequest, DiscoveryResponse> call = channel.newCall(MeshProtocol.SUBSCRIBE,
                io.grpc.CallOptions.DEFAULT);
        StreamObserver<DiscoveryRequest>[] self = new StreamObserver[1];
        this.requests = ClientCalls.asyncBidiStreamingCall(call, new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                received.add(r);
                DiscoveryRequest reply = answer.apply(r);
                synchronized (self) {
                    self[0].onNext(reply);
                }
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        self[0] = requests;
        synchronized (self) {
            requests.onNext(DiscoveryRequest.hello(node, running));
        }
    }

    public static DiscoveryRequest ack(DiscoveryResponse r) {
        return DiscoveryRequest.ack(r.version(), r.nonce());
    }

    public DiscoveryResponse next() throws InterruptedException {
        DiscoveryResponse r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no push within 10 s; errors: " + errors);
        }
        return r;
    }

    static ManagedChannel channel(int port, TrustBundle bundle, KeyPair keys, List<X509Certificate> chain) {
        try {
            SslContextBuilder tls = GrpcSslContexts.forClient()
                    .trustManager(new SvidTrustManager(bundle, Clock.systemUTC()));
            if (keys != null) {
                tls.keyManager(keys.getPrivate(), chain.toArray(X509Certificate[]::new));
            }
            return NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(tls.build()).build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Metadata bearer(String token) {
        Metadata m = new Metadata();
        if (token != null) {
            m.put(MeshProtocol.AUTHORIZATION, MeshProtocol.bearer(token));
        }
        return m;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
