package io.remora.proxy;

import io.micrometer.core.instrument.MeterRegistry;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.proxy.cluster.ServiceGuards;
import io.remora.proxy.controlplane.ControlPlaneSettings;
import io.remora.proxy.controlplane.ControlPlaneStatus;
import io.remora.proxy.route.RouteTable;
import io.remora.proxy.tls.IdentitySource;
import io.remora.proxy.tls.TlsMeters;

import java.util.Map;

/**
 * What differs between a sidecar run from its files and one run by a control plane, chosen once when the proxy
 * starts (from {@code spec.controlPlane}, as the control plane picks its {@code MeshSource}s): where the workload
 * identity comes from, the routing the proxy starts with, where later config comes from ({@link #source()}), and what
 * readiness and {@code /config_dump} say of it. The proxy asks its bootstrap these things and never which mode it
 * runs in.
 */
interface Bootstrap extends AutoCloseable {
    /**
     * Static mode ({@link StaticBootstrap}) without {@code spec.controlPlane}, control-plane mode
     * ({@link ControlPlaneBootstrap}) with one.
     *
     * @param files where static mode reloads its services, routes and policies from; unused, and closed, with a
     *              control plane: its files hold only the Sidecar, and a reload of them would replace what the
     *              control plane pushed with nothing
     * @throws io.remora.certs.CertificateException when no workload certificate is to be had (files, local CA, or
     *                                              the control plane's CA)
     */
    static Bootstrap choose(Snapshot given, ConfigSource files, ControlPlaneSettings settings, TlsMeters tlsMeters,
                            MeterRegistry registry) {
        if (given.sidecarOrDefault().spec().controlPlane() == null) {
            return new StaticBootstrap(given, files, tlsMeters);
        }
        files.close();
        return new ControlPlaneBootstrap(given.sidecarOrDefault(), settings, tlsMeters, registry);
    }

    /** The Sidecar the proxy runs with. */
    Sidecar sidecar();

    /** The workload's mTLS material; null when mTLS is off. */
    IdentitySource identity();

    /**
     * The routing the proxy starts with.
     *
     * @throws IllegalArgumentException when the config given to a static proxy cannot be served
     */
    RouteTable firstRoutes(ServiceGuards guards);

    /** Where services, routes and policies come from once the proxy listens. */
    ConfigSource source();

    /** Whether the proxy runs a config it may take traffic with, given the version it runs. */
    boolean hasConfig(String runningVersion);

    /** The control-plane connection's state; null in static mode (the public {@code controlPlaneStatus()}). */
    ControlPlaneStatus controlPlaneStatus();

    /** The {@code control_plane} section of {@code /config_dump}; null when there is none to show. */
    Map<String, Object> configDumpSection(String runningVersion);

    /** For the {@code proxy_ready} log line: the control plane's address, or {@code none}. */
    String controlPlane();

    /** A drain has started; called outside the proxy's lock, and may take a moment. */
    void draining();

    /** Stops the source and closes what the bootstrap opened (identity, channels). */
    @Override
    void close();
}
