package io.remora.proxy.tls;

import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.Svid;
import io.remora.certs.SvidException;
import io.remora.certs.TrustBundle;
import io.remora.log.Log;
import io.remora.proxy.controlplane.StateFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The workload's SVID, its key and the trust bundle it came with, kept in the state directory, so a sidecar
 * restarted while the control plane is unreachable still has its identity and keeps speaking mTLS. Each file is
 * replaced atomically; the three are written one after the other, and a set that does not belong together (a
 * crash between two writes) fails the checks on loading and is not used.
 */
final class PersistedSvid {
    static final String CHAIN = "workload-chain.pem";
    static final String KEY = "workload-key.pem";
    static final String BUNDLE = "trust-bundle.pem";

    /** A loaded set. */
    record Identity(Svid svid, TrustBundle bundle) {
    }

    private final Path dir;

    PersistedSvid(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /**
     * The kept identity when the three files exist, the key is the leaf's, and the chain verifies against the bundle
     * at {@code now} (so it is not expired); else null, with the reason in a log line when files were there.
     */
    Identity load(Instant now) {
        Path chain = dir.resolve(CHAIN);
        Path key = dir.resolve(KEY);
        Path bundle = dir.resolve(BUNDLE);
        if (!Files.exists(chain) || !Files.exists(key) || !Files.exists(bundle)) {
            return null;
        }
        try {
            Svid svid = Svid.of(chain.toString(), Pem.readCertificates(chain), Pem.readPrivateKey(key));
            TrustBundle roots = TrustBundle.of(bundle.toString(), Pem.readCertificates(bundle));
            roots.verify(svid.chain(), now);
            return new Identity(svid, roots);
        } catch (CertificateException | SvidException e) {
            Log.warn("mtls_state_unusable", "dir", dir.toString(), "error", e.getMessage());
            return null;
        }
    }

    /** Replaces the kept set; the key is readable by its owner only. */
    void save(Svid svid, TrustBundle bundle) throws IOException {
        StateFiles.write(dir.resolve(BUNDLE), Pem.encode(bundle.roots()), false);
        StateFiles.write(dir.resolve(KEY), Pem.encode(svid.key()), true);
        StateFiles.write(dir.resolve(CHAIN), Pem.encode(svid.chain()), false);
    }
}
