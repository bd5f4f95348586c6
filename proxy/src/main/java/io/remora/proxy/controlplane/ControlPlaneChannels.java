package io.remora.proxy.controlplane;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.certs.TrustBundle;
import io.remora.config.HostPort;
import io.remora.config.Sidecar;
import io.remora.proxy.tls.MeshTls;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC channels to the control plane, both over TLS that authenticates the control plane by SPIFFE ID
 * ({@link ControlPlaneTrust}): one without a client certificate for {@code SignCertificate} (it is how the sidecar
 * gets one), kept for the sidecar's life; and one per subscription attempt presenting the workload's current SVID,
 * so a reconnect after a renewal presents the new certificate.
 */
public final class ControlPlaneChannels implements AutoCloseable {
    /** A snapshot is the whole config of a workload; allow far more than gRPC's 4 MiB default. */
    private static final int MAX_MESSAGE_BYTES = 64 << 20;
    /** Pings find a dead connection behind a silent network; above gRPC servers' 5-minute default minimum. */
    private static final long KEEPALIVE_SECONDS = 360;

    private final HostPort address;
    private final ControlPlaneTrust trust;
    private final ManagedChannel signing;

    /**
     * Reads {@code controlPlane.trustBundle}.
     *
     * @throws CertificateException naming the file when the bundle is unusable, or when the identity is no SPIFFE ID
     */
    public ControlPlaneChannels(Sidecar.ControlPlane config, Clock clock) {
        this.address = config.address();
        Path bundlePath = Path.of(config.trustBundle());
        TrustBundle bundle = TrustBundle.of(bundlePath.toString(), Pem.readCertificates(bundlePath));
        SpiffeId expected;
        try {
            expected = config.identity() == null ? null : SpiffeId.parse(config.identity());
        } catch (IllegalArgumentException e) {
            throw new CertificateException("spec.controlPlane.identity: " + e.getMessage(), e);
        }
        this.trust = new ControlPlaneTrust(bundle, expected, clock);
        try {
            this.signing = channel(context(null), null);
        } catch (SSLException e) {
            throw new CertificateException("cannot build a TLS context for the control plane: " + e.getMessage(), e);
        }
    }

    /** {@code host:port} of the control plane. */
    public String address() {
        return address.toString();
    }

    /** The SPIFFE ID the control plane must present (a pattern when none is configured). */
    public String expectedIdentity() {
        return trust.expectation();
    }

    /** The channel {@code SignCertificate} goes over: no client certificate. */
    ManagedChannel signing() {
        return signing;
    }

    /**
     * A new channel presenting {@code svid}, whose calls' callbacks run on {@code executor}. The caller shuts it down
     * when its subscription ends.
     */
    ManagedChannel subscription(Svid svid, Executor executor) throws SSLException {
        return channel(context(svid), executor);
    }

    private SslContext context(Svid svid) throws SSLException {
        SslContextBuilder b = GrpcSslContexts.configure(SslContextBuilder.forClient(), MeshTls.provider())
                .trustManager(trust)
                // SPIFFE authentication replaces host names: ControlPlaneTrust checks the control plane's ID.
                .endpointIdentificationAlgorithm(null);
        if (svid != null) {
            b.keyManager(svid.key(), svid.chain().toArray(X509Certificate[]::new));
        }
        return b.build();
    }

    private ManagedChannel channel(SslContext tls, Executor executor) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress(address.host(), address.port())
                .sslContext(tls)
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                // The client retries by itself, with its own backoff and a log line per attempt.
                .disableRetry();
        if (executor != null) {
            b.executor(executor);
        }
        return b.build();
    }

    /** What a failed call says: its status and what caused it (a refused TLS handshake says why), on one line. */
    static String describe(Status status) {
        StringBuilder sb = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            sb.append(": ").append(status.getDescription());
        }
        for (Throwable t = status.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null && sb.indexOf(t.getMessage()) < 0) {
                sb.append(": ").append(t.getMessage());
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        signing.shutdownNow();
    }
}
