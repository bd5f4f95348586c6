package io.remora.launcher;

import io.remora.config.Durations;
import io.remora.config.HostPort;
import io.remora.controlplane.ControlPlaneServer;
import io.remora.controlplane.ca.BootstrapTokens;
import io.remora.controlplane.ca.CredentialVerifier;
import io.remora.controlplane.source.DirectorySource;
import io.remora.controlplane.source.MeshSource;
import io.remora.log.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code remora control-plane --config-dir mesh/}: serves the mesh in a YAML directory (or the Kubernetes API) to
 * sidecars, and signs their certificates, until SIGTERM.
 */
@Command(name = "control-plane", description = "Run the control plane: push routing policy and endpoints to"
        + " sidecars, sign their workload certificates.", subcommands = ControlPlaneCommand.Token.class)
final class ControlPlaneCommand implements Callable<Integer> {
    @Option(names = "--config-dir", paramLabel = "DIR", description = "YAML directory (or files) with Services,"
            + " Routes and AuthorizationPolicies; watched, changes are pushed within a second.")
    List<Path> configDirs = new ArrayList<>();

    @Option(names = "--kubernetes", description = "Also read Services, EndpointSlices and Remora's resources"
            + " (CRDs, deploy/kubernetes/crds.yaml) from the Kubernetes API, and verify service-account tokens"
            + " with TokenReview.")
    boolean kubernetes;

    @Option(names = "--watch-namespace", paramLabel = "NS", description = "With --kubernetes: only this namespace"
            + " (default: all).")
    String watchNamespace;

    @Option(names = "--ca-dir", paramLabel = "DIR", defaultValue = "remora-ca", description = "The CA: ca.pem/ca.key"
            + " (an intermediate) or root.pem/root.key, and root.pem as trust bundle; an empty directory gets a new"
            + " root (default: ${DEFAULT-VALUE}).")
    Path caDir;

    @Option(names = "--trust-domain", defaultValue = "cluster.local", description = "Trust domain of a CA created in"
            + " an empty --ca-dir (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--tokens", paramLabel = "FILE", description = "Bootstrap tokens, one line per workload:"
            + " <namespace>/<serviceAccount> <token> (default: <ca-dir>/bootstrap-tokens); add one with"
            + " 'remora control-plane token'.")
    Path tokens;

    @Option(names = "--listen", defaultValue = "0.0.0.0:15010", description = "Push and CA port, TLS (default:"
            + " ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--admin", defaultValue = "0.0.0.0:15014", description = "Metrics (/stats/prometheus), health"
            + " (/healthz/ready) and /debug/proxies (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--namespace", defaultValue = "remora-system", description = "The control plane's own namespace,"
            + " in its SPIFFE ID (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--certificate-ttl", defaultValue = "24h", description = "Lifetime of workload certificates"
            + " (default: ${DEFAULT-VALUE}); sidecars renew at half of it.")
    String certificateTtl;

    @Option(names = "--quiet", defaultValue = "100ms", description = "Push once changes have been quiet this long"
            + " (default: ${DEFAULT-VALUE}).")
    String quiet;

    @Option(names = "--max-delay", defaultValue = "1s", description = "...but never later than this after the first"
            + " change (default: ${DEFAULT-VALUE}); endpoint removals are pushed at once.")
    String maxDelay;

    @Spec
    CommandSpec spec;

    /**
     * @throws io.remora.net.ListenFailure when the push or admin port cannot be bound: {@link Remora} prints it as
     *                                     one line and exits 1
     */
    @Override
    public Integer call() throws Exception {
        Log.bridgeJul();
        if (configDirs.isEmpty() && !kubernetes) {
            throw new ParameterException(spec.commandLine(), "give --config-dir DIR, --kubernetes, or both");
        }
        for (Path p : configDirs) {
            if (!Files.isReadable(p)) {
                // Served as an empty mesh it would take every service away from every sidecar.
                throw new ParameterException(spec.commandLine(), "--config-dir " + p
                        + " does not exist or cannot be read");
            }
        }
        InetSocketAddress listenAt = address("--listen", listen);
        InetSocketAddress adminAt = address("--admin", admin);
        Duration ttl = duration("--certificate-ttl", certificateTtl);
        Duration quietFor = duration("--quiet", quiet);
        Duration maxDelayFor = duration("--max-delay", maxDelay);
        Clock clock = Clock.systemUTC();
        List<MeshSource> sources = new ArrayList<>();
        if (!configDirs.isEmpty()) {
            sources.add(new DirectorySource(configDirs, clock, 100));
        }
        CredentialVerifier credentials;
        KubernetesMode mode = null;
        if (kubernetes) {
            mode = KubernetesMode.start(trustDomain, watchNamespace, clock);
            sources.add(mode.source());
            credentials = mode.credentials();
        } else {
            Path file = tokens != null ? tokens : caDir.resolve("bootstrap-tokens");
            BootstrapTokens.create(file);
            credentials = new BootstrapTokens(file);
        }
        ControlPlaneServer server = ControlPlaneServer.start(new ControlPlaneServer.Options(
                listenAt, adminAt, caDir, trustDomain, namespace, ttl, quietFor, maxDelayFor, sources, credentials,
                clock));
        // Injected pods trust the control plane through this ConfigMap, kept in every namespace that takes sidecars.
        AutoCloseable trustBundles = mode == null ? () -> { } : mode.publishTrustBundle(caDir.resolve("root.pem"));
        CountDownLatch stopped = new CountDownLatch(1);
        Signals.onTermination(() -> {
            try {
                trustBundles.close();
            } catch (Exception e) {
                Log.warn("ca_root_configmaps_close_failed", "error", String.valueOf(e.getMessage()));
            }
            server.close();
            stopped.countDown();
        });
        stopped.await();
        Log.flush();
        return 0;
    }

    private InetSocketAddress address(String option, String text) {
        return address(spec, option, text);
    }

    /** An address option of {@code command}; a malformed one is a usage error naming the option. */
    static InetSocketAddress address(CommandSpec command, String option, String text) {
        try {
            HostPort hp = HostPort.parse(text);
            return new InetSocketAddress(hp.host(), hp.port());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), option + ": " + e.getMessage());
        }
    }

    /** A duration option; a malformed one is a usage error naming the option. */
    private Duration duration(String option, String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), option + ": got \"" + text + "\", " + e.getMessage());
        }
    }

    /** {@code remora control-plane token shop/web}: adds a bootstrap token for a workload and prints it. */
    @Command(name = "token", description = "Add a bootstrap token for a workload to the tokens file and print it.")
    static final class Token implements Callable<Integer> {
        @Parameters(paramLabel = "NAMESPACE/SERVICE_ACCOUNT")
        String workload;

        @Option(names = "--tokens", paramLabel = "FILE", defaultValue = "remora-ca/bootstrap-tokens",
                description = "The tokens file (default: ${DEFAULT-VALUE}).")
        Path tokens;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            String[] parts = workload.split("/");
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new ParameterException(spec.commandLine(), "got \"" + workload
                        + "\", expected <namespace>/<serviceAccount>");
            }
            if (tokens.toAbsolutePath().getParent() != null) {
                Files.createDirectories(tokens.toAbsolutePath().getParent());
            }
            System.out.println(BootstrapTokens.add(tokens, parts[0], parts[1]));
            return 0;
        }
    }
}
