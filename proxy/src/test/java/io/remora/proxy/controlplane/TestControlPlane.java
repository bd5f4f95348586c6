package io.remora.proxy.controlplane;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.certs.SvidException;
import io.remora.certs.SvidTrustManager;
import io.remora.certs.TrustBundle;
import io.remora.certs.X509Svids;
import io.remora.protocol.CertificateRequest;
import io.remora.protocol.CertificateResponse;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.MeshProtocol;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A control plane for tests: a real grpc-java server on 127.0.0.1 over TLS, its certificate an SVID ({@value #ID}
 * unless told otherwise) from a test CA whose root is written as {@link #bundle}; client certificates optional at
 * the TLS level (signing needs none) and required by {@code Subscribe}. It signs CSRs for the tokens it knows with
 * the identity each stands for, and pushes whatever snapshot the test scripts: the latest one to every new
 * subscriber (state of the world), and each new one to the open subscription. Every request a sidecar sends is
 * recorded. {@link #stop()} and {@link #start()} take it down and bring it back on the same port.
 */
final class TestControlPlane implements AutoCloseable {
    static final String TRUST_DOMAIN = "test.local";
    static final String ID = "spiffe://test.local/ns/remora-system/sa/remora-control-plane";

    private static final Context.Key<String> AUTHORIZATION = Context.key("authorization");
    private static final Context.Key<SpiffeId> PEER = Context.key("peer");

    /** A snapshot as pushed. */
    record Push(String version, String resources) {
    }

    final CertificateAuthority ca;
    final Path bundle;
    final Path tokenFile;
    private final Clock clock;
    private final Svid serverSvid;
    private final Map<String, SpiffeId> tokens = new ConcurrentHashMap<>();
    private final List<DiscoveryRequest> received = new CopyOnWriteArrayList<>();
    private final List<SpiffeId> subscribers = new CopyOnWriteArrayList<>();
    private final List<X509Certificate> issued = new CopyOnWriteArrayList<>();
    private final AtomicInteger nonces = new AtomicInteger();
    private volatile Duration ttl = Duration.ofHours(24);
    private int port;
    private Server server;
    /** The open subscription and the latest push; guarded by this. */
    private StreamObserver<DiscoveryResponse> stream;
    private Push latest;

    /** @param clock the CA's time (a test moving the sidecar's clock moves this one too) */
    TestControlPlane(Path dir, Clock clock) {
        this(dir, clock, ID);
    }

    /** @param serverId the identity its certificate names (a test of who the sidecar trusts sets another) */
    TestControlPlane(Path dir, Clock clock, String serverId) {
        this.clock = clock;
        this.ca = CertificateAuthority.createRoot(TRUST_DOMAIN, Duration.ofDays(3650), clock);
        this.serverSvid = ca.issue(SpiffeId.parse(serverId), Duration.ofDays(3000));
        this.bundle = dir.resolve("cp-root.pem");
        this.tokenFile = dir.resolve("token");
        try {
            Pem.writeCertificates(bundle, List.of(ca.certificate()));
            Files.writeString(tokenFile, "web-token\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tokens.put("web-token", SpiffeId.workload(TRUST_DOMAIN, "shop", "web"));
        start();
    }

    /** Signed certificates live this long from now on. */
    void ttl(Duration ttl) {
        this.ttl = ttl;
    }

    /** Starts serving, on the port of the first start. */
    synchronized void start() {
        try {
            SslContext tls = GrpcSslContexts.configure(SslContextBuilder.forServer(serverSvid.key(),
                            serverSvid.chain().toArray(X509Certificate[]::new)))
                    .trustManager(new SvidTrustManager(new TrustBundle(TRUST_DOMAIN, List.of(ca.certificate())), clock))
                    .clientAuth(ClientAuth.OPTIONAL)
                    .build();
            ServerServiceDefinition service = ServerServiceDefinition.builder(MeshProtocol.SERVICE)
                    .addMethod(MeshProtocol.SIGN_CERTIFICATE, ServerCalls.asyncUnaryCall(this::sign))
                    .addMethod(MeshProtocol.SUBSCRIBE, ServerCalls.asyncBidiStreamingCall(this::subscribe))
                    .build();
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                    .withOption(ChannelOption.SO_REUSEADDR, true)
                    .sslContext(tls)
                    .addService(ServerInterceptors.intercept(service, new Credentials()))
                    .build()
                    .start();
            port = server.getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops at once: open subscriptions are cut. */
    synchronized void stop() throws InterruptedException {
        stream = null;
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Pushes a snapshot to the open subscription (if any), and to every later one. */
    synchronized Push push(String version, String resources) {
        latest = new Push(version, resources);
        if (stream != null) {
            send(stream, latest);
        }
        return latest;
    }

    /** Every request sidecars sent on subscriptions, in order. */
    List<DiscoveryRequest> received() {
        return List.copyOf(received);
    }

    /** The verified identities of every subscription, in order. */
    List<SpiffeId> subscribers() {
        return List.copyOf(subscribers);
    }

    /** Every certificate signed, in order. */
    List<X509Certificate> issued() {
        return List.copyOf(issued);
    }

    BigInteger lastSerial() {
        List<X509Certificate> all = issued();
        return all.isEmpty() ? null : all.get(all.size() - 1).getSerialNumber();
    }

    private void send(StreamObserver<DiscoveryResponse> to, Push p) {
        to.onNext(new DiscoveryResponse(p.version(), "n" + nonces.incrementAndGet(), p.resources()));
    }

    private void sign(CertificateRequest request, StreamObserver<CertificateResponse> response) {
        String token = MeshProtocol.token(AUTHORIZATION.get());
        SpiffeId id = token == null ? null : tokens.get(token);
        if (id == null) {
            response.onError(Status.UNAUTHENTICATED.withDescription("token not recognised: it is no workload's"
                    + " bootstrap token").asRuntimeException());
            return;
        }
        List<X509Certificate> chain;
        try {
            chain = ca.sign(Pem.csr("csr", request.csr()), id, ttl);
        } catch (CertificateException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        issued.add(chain.get(0));
        response.onNext(new CertificateResponse(Pem.encode(chain), Pem.encode(List.of(ca.certificate()))));
        response.onCompleted();
    }

    private StreamObserver<DiscoveryRequest> subscribe(StreamObserver<DiscoveryResponse> responses) {
        SpiffeId peer = PEER.get();
        if (peer == null) {
            responses.onError(Status.UNAUTHENTICATED.withDescription("Subscribe needs a workload certificate")
                    .asRuntimeException());
            return new Ignore();
        }
        subscribers.add(peer);
        return new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryRequest request) {
                received.add(request);
                if (request.node() != null) {
                    synchronized (TestControlPlane.this) {
                        stream = responses;
                        if (latest != null) {
                            send(responses, latest);
                        }
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                forget(responses);
            }

            @Override
            public void onCompleted() {
                forget(responses);
                responses.onCompleted();
            }
        };
    }

    private synchronized void forget(StreamObserver<DiscoveryResponse> responses) {
        if (stream == responses) {
            stream = null;
        }
    }

    /** Puts the bearer token and the verified client identity (if any) where the methods read them. */
    private static final class Credentials implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            SpiffeId peer = null;
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            if (session != null) {
                try {
                    peer = X509Svids.leafId((X509Certificate) session.getPeerCertificates()[0]);
                } catch (SSLPeerUnverifiedException | SvidException e) {
                    peer = null;
                }
            }
            Context ctx = Context.current().withValues(AUTHORIZATION, headers.get(MeshProtocol.AUTHORIZATION),
                    PEER, peer);
            return Contexts.interceptCall(ctx, call, headers, next);
        }
    }

    private static final class Ignore implements StreamObserver<DiscoveryRequest> {
        @Override
        public void onNext(DiscoveryRequest value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
