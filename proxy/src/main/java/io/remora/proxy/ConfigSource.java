package io.remora.proxy;

/**
 * Where a running proxy's services, routes and policies come from after start, as a {@code MeshSource} is where the
 * control plane's mesh comes from: the config files ({@link ConfigFileWatcher}), the control plane
 * ({@link io.remora.proxy.controlplane.ControlPlaneClient}), or nowhere ({@link #none()}: what it started with is
 * what it runs). The bootstrap chooses one from the Sidecar when the proxy starts, and starts it once the listeners
 * are bound, so what it delivers has somewhere to go.
 */
public interface ConfigSource extends AutoCloseable {
    /** A short name for logs: {@code files}, {@code control-plane}, {@code none}. */
    String name();

    /** Starts delivering to {@code target} in the background; returns at once. Called once. */
    void start(ConfigTarget target);

    /** Stops delivering; what was applied stays in use. Safe before {@link #start} and more than once. */
    @Override
    void close();

    /** Delivers nothing: the proxy runs the config it started with (tests, {@code --no-watch}, the demo). */
    static ConfigSource none() {
        return new ConfigSource() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public void start(ConfigTarget target) {
            }

            @Override
            public void close() {
            }
        };
    }
}
