package io.remora.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.remora.config.MtlsMode;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.log.Log;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.controlplane.CertificateClient;
import io.remora.proxy.controlplane.ControlPlaneChannels;
import io.remora.proxy.controlplane.ControlPlaneClient;
import io.remora.proxy.controlplane.ControlPlaneSettings;
import io.remora.proxy.controlplane.ControlPlaneStatus;
import io.remora.proxy.controlplane.LastKnownGood;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.tls.ControlPlaneIdentitySource;
import io.remora.proxy.tls.IdentitySource;
import io.remora.proxy.tls.TlsMeters;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Control-plane mode: the files hold only the Sidecar. The workload certificate comes from the control plane's CA
 * service ({@link ControlPlaneIdentitySource}; start fails when neither a kept one nor a new one is to be had); the
 * proxy starts from the last-known-good config in the state directory when there is one (else with no services,
 * not ready until the first snapshot is applied), and once the listeners are bound the {@link ControlPlaneClient}
 * subscribes and applies what is pushed.
 */
final class ControlPlaneBootstrap implements Bootstrap {
    private final Sidecar sidecar;
    private final ControlPlaneChannels channels;
    /** Issued whatever the mTLS mode: the subscription presents it even when mTLS between sidecars is DISABLE. */
    private final ControlPlaneIdentitySource certificate;
    private final LastKnownGood lastKnownGood;
    private final ControlPlaneStatus status;
    private final ControlPlaneClient client;

    /** @throws io.remora.certs.CertificateException when no certificate is kept and the control plane gave none */
    ControlPlaneBootstrap(Sidecar given, ControlPlaneSettings settings, TlsMeters tlsMeters, MeterRegistry registry) {
        this.sidecar = withDefaultMtls(given);
        Sidecar.ControlPlane cp = sidecar.spec().controlPlane();
        this.channels = new ControlPlaneChannels(cp, settings.clock());
        try {
            this.certificate = new ControlPlaneIdentitySource(sidecar.stateDir(), channels.address(),
                    new CertificateClient(channels, Path.of(cp.tokenFile()), settings.callTimeout()),
                    settings.certificateTiming(), tlsMeters);
        } catch (RuntimeException e) {
            channels.close();
            throw e;
        }
        this.lastKnownGood = new LastKnownGood(sidecar.stateDir());
        this.status = new ControlPlaneStatus(channels.address(), lastKnownGood.path(), settings.clock(), registry);
        this.client = new ControlPlaneClient(channels, () -> certificate.current().svid(), lastKnownGood, status,
                settings.reconnect());
    }

    /**
     * A control plane issues the identity even when the Sidecar says nothing of mTLS: its mode is then PERMISSIVE,
     * written into the Sidecar the proxy runs with, so everything that reads the mode sees one.
     */
    static Sidecar withDefaultMtls(Sidecar s) {
        Sidecar.Spec spec = s.spec();
        if (spec.mtls() != null) {
            return s;
        }
        return new Sidecar(s.metadata(),
                spec.withMtls(new Sidecar.Mtls(MtlsMode.PERMISSIVE, null, null, null, null, null, null)));
    }

    @Override
    public Sidecar sidecar() {
        return sidecar;
    }

    @Override
    public IdentitySource identity() {
        return sidecar.spec().mtls().enabled() ? certificate : null;
    }

    /** The last-known-good config; else (none kept, or one that no longer builds) no services until a push. */
    @Override
    public RouteTable firstRoutes(ServiceGuards guards) {
        Snapshot kept = lastKnownGood.load(sidecar);
        if (kept != null) {
            Log.info("last_known_good_loaded", "version", kept.version(),
                    "file", lastKnownGood.path().toString(), "services", kept.services().size());
            try {
                return RouteTable.build(kept, guards);
            } catch (IllegalArgumentException e) {
                Log.warn("last_known_good_unusable", "file", lastKnownGood.path().toString(), "error", e.getMessage());
            }
        }
        // No services (404 NR) and not ready until the first snapshot.
        RouteTable none = RouteTable.build(new Snapshot("", sidecar, List.of(), List.of(), List.of()), guards);
        Log.info("waiting_for_control_plane", "address", channels.address(),
                "last_known_good", lastKnownGood.path().toString());
        return none;
    }

    @Override
    public ConfigSource source() {
        return client;
    }

    /** Once it runs a config, kept or pushed: an empty version is none yet. */
    @Override
    public boolean hasConfig(String runningVersion) {
        return !runningVersion.isEmpty();
    }

    @Override
    public ControlPlaneStatus controlPlaneStatus() {
        return status;
    }

    @Override
    public Map<String, Object> configDumpSection(String runningVersion) {
        return status.dump(runningVersion);
    }

    @Override
    public String controlPlane() {
        return channels.address();
    }

    /** Ends the subscription: a draining sidecar is on its way out and takes no more pushes. */
    @Override
    public void draining() {
        client.close();
    }

    @Override
    public void close() {
        client.close();
        certificate.close();
        channels.close();
    }
}
