package io.remora.launcher;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.remora.config.Durations;
import io.remora.injector.Injector;
import io.remora.injector.InjectorServer;
import io.remora.injector.MeshSettings;
import io.remora.injector.ServingTls;
import io.remora.log.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code remora injector}: the mutating admission webhook that adds the sidecar to opted-in pods as they are
 * created, until SIGTERM. Runs as its own Deployment (not inside the control plane), so a control plane restart never
 * holds up pod creation.
 */
@Command(name = "injector", description = "Run the sidecar-injecting admission webhook (AdmissionReview v1 over TLS"
        + " on /inject).")
final class InjectorCommand implements Callable<Integer> {
    @Option(names = "--listen", defaultValue = "0.0.0.0:15017", description = "The webhook, TLS (default:"
            + " ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--admin", defaultValue = "0.0.0.0:15014", description = "Metrics (/stats/prometheus) and health"
            + " (/healthz/ready, /healthz/live), plain HTTP (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--namespace", defaultValue = "remora-system", description = "The injector's namespace, in its"
            + " certificate's name <service>.<namespace>.svc (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--service", defaultValue = "remora-injector", description = "The injector's Service name"
            + " (default: ${DEFAULT-VALUE}).")
    String service;

    @Option(names = "--ca-dir", paramLabel = "DIR", description = "The mesh CA, as the control plane's --ca-dir"
            + " (ca.pem/ca.key or root.pem/root.key; root.pem is the caBundle), read only. Without it: a CA of its"
            + " own in memory, for one replica.")
    Path caDir;

    @Option(names = "--trust-domain", defaultValue = "cluster.local", description = "Trust domain of a CA made"
            + " without --ca-dir (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--webhook-config", paramLabel = "NAME", description = "Write the caBundle into this"
            + " MutatingWebhookConfiguration at start and at each rotation (needs get/patch on it).")
    String webhookConfig;

    @Option(names = "--certificate-ttl", defaultValue = "24h", description = "Lifetime of the serving certificate"
            + " (default: ${DEFAULT-VALUE}); reissued at two thirds of it.")
    String certificateTtl;

    @Option(names = "--max-request-bytes", defaultValue = "8388608", description = "Larger reviews are allowed"
            + " without injection (default: ${DEFAULT-VALUE}).")
    int maxRequestBytes;

    @Mixin
    MeshOptions mesh;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Log.bridgeJul();
        PrintWriter err = spec.commandLine().getErr();
        MeshSettings settings = mesh.settings(err, "injector");
        if (settings == null) {
            return 2;
        }
        Duration ttl;
        try {
            ttl = Durations.parse(certificateTtl);
        } catch (IllegalArgumentException e) {
            err.println("remora injector: --certificate-ttl " + certificateTtl + ": " + e.getMessage());
            return 2;
        }
        if (maxRequestBytes < 1024) {
            err.println("remora injector: --max-request-bytes " + maxRequestBytes + ": expected at least 1024");
            return 2;
        }
        String dns = service + "." + namespace + ".svc";
        ServingTls tls;
        try {
            tls = ServingTls.fromCaDir(caDir, trustDomain, List.of(dns, dns + ".cluster.local", service), ttl,
                    Clock.systemUTC());
        } catch (RuntimeException e) {
            err.println("remora injector: --ca-dir: " + e.getMessage());
            return 2;
        }
        KubernetesClient client = webhookConfig == null ? null : new KubernetesClientBuilder().build();
        InjectorServer server;
        try {
            server = InjectorServer.start(new InjectorServer.Options(
                    ControlPlaneCommand.address(spec, "--listen", listen),
                    ControlPlaneCommand.address(spec, "--admin", admin), new Injector(settings), tls, maxRequestBytes,
                    client,
                    webhookConfig));
        } catch (IllegalStateException e) {
            err.println("remora injector: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Signals.onTermination(() -> {
            server.close();
            if (client != null) {
                client.close();
            }
            stopped.countDown();
        });
        stopped.await();
        Log.flush();
        return 0;
    }
}
