package io.remora.proxy.it.mtls;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/** A trust domain for tests: its root on disk, and workload SVIDs written as the files a Sidecar's mtls names. */
final class Pki {
    static final String TRUST_DOMAIN = "cluster.local";

    final CertificateAuthority root;
    final Path dir;
    final Path bundle;

    Pki(Path dir) {
        this(dir, Clock.systemUTC());
    }

    Pki(Path dir, Clock clock) {
        this.dir = dir;
        this.root = CertificateAuthority.createRoot(TRUST_DOMAIN, Duration.ofDays(30), clock);
        this.bundle = dir.resolve("root.pem");
        write(() -> Pem.writeCertificates(bundle, List.of(root.certificate())));
    }

    static SpiffeId id(String serviceAccount) {
        return SpiffeId.workload(TRUST_DOMAIN, "test", serviceAccount);
    }

    /** Issues {@code serviceAccount}'s SVID and writes {@code <name>.pem} / {@code <name>.key}. */
    Files issue(String serviceAccount, String name, Duration ttl) {
        return write(root.issue(id(serviceAccount), ttl), name);
    }

    Files write(Svid svid, String name) {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + ".key");
        write(() -> {
            Pem.writeCertificates(cert, svid.chain());
            Pem.writePrivateKey(key, svid.key());
        });
        return new Files(cert, key, bundle, svid);
    }

    /** A JDK TLS client context presenting {@code svid} and trusting this root: a peer no sidecar wrote. */
    javax.net.ssl.SSLContext clientContext(Svid svid) throws java.security.GeneralSecurityException, IOException {
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("svid", svid.key(), new char[0],
                svid.chain().toArray(java.security.cert.X509Certificate[]::new));
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        java.security.KeyStore roots = java.security.KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        roots.setCertificateEntry("root", root.certificate());
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(roots);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /** The files of one workload. */
    record Files(Path cert, Path key, Path bundle, Svid svid) {
        /** The {@code mtls} block of a Sidecar spec, in flow style. */
        String mtls(String mode) {
            return "{mode: " + mode + ", certificate: " + cert + ", privateKey: " + key + ", trustBundle: " + bundle
                    + "}";
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void write(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
