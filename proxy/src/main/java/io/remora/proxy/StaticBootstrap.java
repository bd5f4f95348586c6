package io.remora.proxy;

import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.controlplane.ControlPlaneStatus;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.tls.FileIdentitySource;
import io.remora.proxy.tls.IdentitySource;
import io.remora.proxy.tls.LocalCaIdentitySource;
import io.remora.proxy.tls.TlsMeters;

import java.time.Clock;
import java.util.Map;

/**
 * Static mode (no {@code spec.controlPlane}): the snapshot's services, routes and policies are what the proxy runs,
 * reloaded from the files when it was given them; the workload certificate comes from files or a local CA.
 */
final class StaticBootstrap implements Bootstrap {
    /** How often the mTLS certificate files are checked for a rotation. */
    private static final long CERT_CHECK_MILLIS = 1_000;

    private final Snapshot given;
    private final ConfigSource files;
    private final IdentitySource identity;

    StaticBootstrap(Snapshot given, ConfigSource files, TlsMeters tlsMeters) {
        this.given = given;
        this.files = files;
        Sidecar sidecar = given.sidecarOrDefault();
        Sidecar.Mtls mtls = sidecar.spec().mtls();
        // Before anything else starts: an unusable certificate or key is a start-up error naming the file.
        this.identity = mtls == null || !mtls.enabled() ? null
                : mtls.localCa() != null
                ? new LocalCaIdentitySource(mtls, sidecar.metadata().namespace(), sidecar.workload(), Clock.systemUTC(),
                        tlsMeters)
                : new FileIdentitySource(mtls, Clock.systemUTC(), tlsMeters, CERT_CHECK_MILLIS);
    }

    @Override
    public Sidecar sidecar() {
        return given.sidecarOrDefault();
    }

    @Override
    public IdentitySource identity() {
        return identity;
    }

    /** The given config, or a start-up error saying why it cannot be served. */
    @Override
    public RouteTable firstRoutes(ServiceGuards guards) {
        return RouteTable.build(given, guards);
    }

    @Override
    public ConfigSource source() {
        return files;
    }

    /** Always: the config was given at start. */
    @Override
    public boolean hasConfig(String runningVersion) {
        return true;
    }

    @Override
    public ControlPlaneStatus controlPlaneStatus() {
        return null;
    }

    @Override
    public Map<String, Object> configDumpSection(String runningVersion) {
        return null;
    }

    @Override
    public String controlPlane() {
        return "none";
    }

    /** The files go on being reloaded: outbound traffic is served as usual through a drain, endpoints may change. */
    @Override
    public void draining() {
    }

    @Override
    public void close() {
        files.close();
        if (identity != null) {
            identity.close();
        }
    }
}
