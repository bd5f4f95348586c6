package io.remora.controlplane;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.Pem;
import io.remora.log.Log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;

/**
 * The CA the control plane signs with, from a directory laid out as {@code remora certs root} writes it: an
 * intermediate {@code ca.pem}/{@code ca.key} when present, else the root {@code root.pem}/{@code root.key}; the
 * trust bundle sidecars get is {@code root.pem} (which may hold two roots during a rotation). An empty directory
 * gets a new root for {@code trustDomain}, for trying the mesh locally.
 */
public record CaDirectory(CertificateAuthority ca, List<X509Certificate> roots) {
    public static CaDirectory load(Path dir, String trustDomain, Clock clock) {
        try {
            Path root = dir.resolve("root.pem");
            if (!Files.exists(root)) {
                Files.createDirectories(dir);
                CertificateAuthority created = CertificateAuthority.createRoot(trustDomain,
                        CertificateAuthority.DEFAULT_ROOT_TTL, clock);
                Pem.writeCertificates(root, List.of(created.certificate()));
                Pem.writePrivateKey(dir.resolve("root.key"), created.key());
                Log.info("ca_created", "dir", dir.toString(), "trust_domain", trustDomain);
            }
            boolean intermediate = Files.exists(dir.resolve("ca.pem"));
            Path cert = dir.resolve(intermediate ? "ca.pem" : "root.pem");
            Path key = dir.resolve(intermediate ? "ca.key" : "root.key");
            CertificateAuthority ca = CertificateAuthority.load(cert.toString(), Pem.readCertificates(cert),
                    Pem.readPrivateKey(key), clock);
            return new CaDirectory(ca, Pem.readCertificates(root));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot set up the CA: " + e.getMessage(), e);
        }
    }
}
