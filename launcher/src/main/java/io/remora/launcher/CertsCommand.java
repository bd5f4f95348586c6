package io.remora.launcher;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.CertificateException;
import io.remora.certs.CertificateInfo;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.certs.Svid;
import io.remora.config.Durations;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code remora certs}: a local CA for running sidecars with mTLS without a control plane. {@code root} creates a
 * trust domain's root (or an intermediate under it), {@code issue} a workload's X.509-SVID, {@code inspect} shows
 * what a PEM file holds (subject, SPIFFE ID, validity).
 */
@Command(name = "certs",
        description = "Create a root CA, issue workload certificates (SPIFFE X.509-SVIDs) and inspect certificates.",
        subcommands = {CertsCommand.Root.class, CertsCommand.Issue.class, CertsCommand.Inspect.class},
        mixinStandardHelpOptions = true)
public final class CertsCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    /** {@code remora certs} alone: which of root, issue, inspect? */
    @Override
    public Integer call() {
        return Remora.missingCommand(spec);
    }

    static Duration duration(String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ttl: got \"" + text + "\", " + e.getMessage(), e);
        }
    }

    /** Runs {@code body}, turning certificate and file errors into one line on stderr and exit status 1. */
    static int guarded(CommandSpec spec, Callable<Integer> body) {
        try {
            return body.call();
        } catch (CertificateException | IllegalArgumentException e) {
            spec.commandLine().getErr().println("error: " + e.getMessage());
        } catch (Exception e) {
            spec.commandLine().getErr().println("error: " + e);
        }
        spec.commandLine().getErr().flush();
        return 1;
    }

    @Command(name = "root", mixinStandardHelpOptions = true,
            description = "Create a self-signed root CA for a trust domain (root.pem, root.key), or with"
                    + " --intermediate an intermediate CA signed by an existing root (ca.pem, ca.key).")
    static final class Root implements Callable<Integer> {
        @Option(names = "--trust-domain", defaultValue = "cluster.local",
                description = "Trust domain of the SPIFFE IDs it will sign (default: ${DEFAULT-VALUE}).")
        String trustDomain;

        @Option(names = "--ttl", description = "Lifetime, e.g. 87600h (default: 3650 days for a root, 365 days"
                + " for an intermediate).")
        String ttl;

        @Option(names = "--intermediate", paramLabel = "ROOT_DIR",
                description = "Create an intermediate signed by the root.pem/root.key in ROOT_DIR.")
        Path parent;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into.")
        Path out;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return guarded(spec, () -> {
                Files.createDirectories(out);
                CertificateAuthority ca;
                String name;
                if (parent == null) {
                    ca = CertificateAuthority.createRoot(trustDomain,
                            ttl == null ? CertificateAuthority.DEFAULT_ROOT_TTL : duration(ttl), Clock.systemUTC());
                    name = "root";
                } else {
                    ca = loadCa(parent.resolve("root.pem"), parent.resolve("root.key"))
                            .createIntermediate(ttl == null ? CertificateAuthority.DEFAULT_INTERMEDIATE_TTL
                                    : duration(ttl));
                    name = "ca";
                }
                Path cert = out.resolve(name + ".pem");
                Path key = out.resolve(name + ".key");
                Pem.writeCertificates(cert, ca.chain());
                Pem.writePrivateKey(key, ca.key());
                PrintWriter o = spec.commandLine().getOut();
                o.println("wrote " + cert + " and " + key + " (trust domain " + ca.trustDomain() + ", expires "
                        + ca.certificate().getNotAfter().toInstant() + ")");
                o.flush();
                return 0;
            });
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue an X.509-SVID spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>:"
                    + " writes <name>.pem (leaf, then intermediates) and <name>.key.")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--ca", required = true, paramLabel = "DIR",
                description = "Directory of the signing CA: ca.pem/ca.key if present, else root.pem/root.key.")
        Path caDir;

        @Option(names = "--namespace", required = true, description = "Kubernetes-style namespace of the workload.")
        String namespace;

        @Option(names = "--service-account", required = true, description = "Service account of the workload.")
        String serviceAccount;

        @Option(names = "--ttl", defaultValue = "24h", description = "Lifetime (default: ${DEFAULT-VALUE}).")
        String ttl;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into.")
        Path out;

        @Option(names = "--name", description = "File name stem (default: the service account).")
        String name;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return guarded(spec, () -> {
                boolean intermediate = Files.exists(caDir.resolve("ca.pem"));
                CertificateAuthority ca = loadCa(caDir.resolve(intermediate ? "ca.pem" : "root.pem"),
                        caDir.resolve(intermediate ? "ca.key" : "root.key"));
                SpiffeId id = SpiffeId.workload(ca.trustDomain(), namespace, serviceAccount);
                Svid svid = ca.issue(id, duration(ttl));
                Files.createDirectories(out);
                String stem = name == null ? serviceAccount : name;
                Path cert = out.resolve(stem + ".pem");
                Path key = out.resolve(stem + ".key");
                Pem.writeCertificates(cert, svid.chain());
                Pem.writePrivateKey(key, svid.key());
                PrintWriter o = spec.commandLine().getOut();
                o.println("wrote " + cert + " and " + key + " for " + id + ", expires " + svid.notAfter());
                o.flush();
                return 0;
            });
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Show each certificate in PEM files: subject, issuer, SPIFFE ID, validity.")
    static final class Inspect implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "FILE", description = "PEM certificate files.")
        List<Path> files;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return guarded(spec, () -> {
                PrintWriter o = spec.commandLine().getOut();
                for (Path file : files) {
                    List<X509Certificate> certs = Pem.readCertificates(file);
                    for (int i = 0; i < certs.size(); i++) {
                        o.println(file + (certs.size() > 1 ? " [" + i + "]" : "") + ":");
                        for (String line : CertificateInfo.describe(certs.get(i), java.time.Instant.now())) {
                            o.println("  " + line);
                        }
                    }
                }
                o.flush();
                return 0;
            });
        }
    }

    static CertificateAuthority loadCa(Path cert, Path key) {
        return CertificateAuthority.load(cert.toString(), Pem.readCertificates(cert), Pem.readPrivateKey(key),
                Clock.systemUTC());
    }
}
