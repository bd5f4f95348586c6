package io.remora.injector;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.Pem;
import io.remora.certs.ServingCertificate;
import io.remora.log.Log;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The webhook's serving certificate: issued by the mesh CA for the injector Service's DNS names, reissued at two
 * thirds of its lifetime ({@link #rotateAt}); new connections take the current one, open ones keep theirs. The
 * API server trusts it through the webhook configuration's {@code caBundle}: the CA's roots ({@link #caBundle}).
 */
public final class ServingTls {
    private final CertificateAuthority ca;
    private final List<X509Certificate> roots;
    private final List<String> dnsNames;
    private final Duration ttl;
    private final Clock clock;
    private volatile Current current;

    private record Current(SslContext context, ServingCertificate certificate) {
    }

    public ServingTls(CertificateAuthority ca, List<X509Certificate> roots, List<String> dnsNames, Duration ttl,
                      Clock clock) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.roots = List.copyOf(roots);
        this.dnsNames = List.copyOf(dnsNames);
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.clock = Objects.requireNonNull(clock, "clock");
        rotate();
    }

    /**
     * The CA in {@code dir} as {@code remora certs} and the control plane lay it out (an intermediate
     * {@code ca.pem}/{@code ca.key}, else {@code root.pem}/{@code root.key}; {@code root.pem} is the bundle), read
     * only. Without a directory: a root of its own, made now and kept in memory (one replica, for trying it out).
     */
    public static ServingTls fromCaDir(Path dir, String trustDomain, List<String> dnsNames, Duration ttl, Clock clock) {
        if (dir == null) {
            CertificateAuthority root = CertificateAuthority.createRoot(trustDomain,
                    CertificateAuthority.DEFAULT_ROOT_TTL, clock);
            Log.warn("injector_ca_ephemeral", "reason", "no --ca-dir: a root CA of its own, in memory;"
                    + " run one replica only, or mount the mesh CA");
            return new ServingTls(root, List.of(root.certificate()), dnsNames, ttl, clock);
        }
        Path rootPem = dir.resolve("root.pem");
        if (!Files.isReadable(rootPem)) {
            throw new UncheckedIOException(new IOException(dir + ": no readable root.pem; give the directory the"
                    + " control plane's CA is in (remora certs root writes one)"));
        }
        boolean intermediate = Files.exists(dir.resolve("ca.pem"));
        Path cert = dir.resolve(intermediate ? "ca.pem" : "root.pem");
        Path key = dir.resolve(intermediate ? "ca.key" : "root.key");
        CertificateAuthority ca = CertificateAuthority.load(cert.toString(), Pem.readCertificates(cert),
                Pem.readPrivateKey(key), clock);
        return new ServingTls(ca, Pem.readCertificates(rootPem), dnsNames, ttl, clock);
    }

    /** Issues a new serving certificate; connections accepted from now on use it. */
    public synchronized void rotate() {
        ServingCertificate cert = ca.issueServing(dnsNames, ttl);
        try {
            SslContext context = SslContextBuilder.forServer(cert.key(), cert.chain())
                    .sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .build();
            current = new Current(context, cert);
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the webhook's TLS context: " + e.getMessage(), e);
        }
        Log.info("injector_certificate_issued", "dns_names", String.join(",", dnsNames),
                "not_after", cert.notAfter().toString());
    }

    public SslContext context() {
        return current.context();
    }

    public ServingCertificate certificate() {
        return current.certificate();
    }

    /** When the current certificate is to be replaced: two thirds into its lifetime. */
    public Instant rotateAt() {
        ServingCertificate c = current.certificate();
        Duration life = Duration.between(c.notBefore(), c.notAfter());
        return c.notBefore().plus(life.multipliedBy(2).dividedBy(3));
    }

    /** How long until {@link #rotateAt}, never negative. */
    public Duration untilRotation() {
        Duration d = Duration.between(clock.instant(), rotateAt());
        return d.isNegative() ? Duration.ZERO : d;
    }

    /** The PEM of the CA's roots, for the webhook configuration's {@code caBundle}. */
    public String caBundle() {
        return Pem.encode(roots);
    }
}
