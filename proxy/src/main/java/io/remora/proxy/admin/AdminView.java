package io.remora.proxy.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * What the admin, metrics and health listeners show and control. Implemented by the proxy runtime.
 *
 * <p>{@link #configDumpJson()}, {@link #clustersText()}, {@link #drain()}, {@link #quit()} and scraping
 * {@link #registry()} are called on a dedicated admin thread, never on an I/O event loop, so they may take
 * their time. {@link #ready()}, {@link #live()} and {@link #configVersion()} are called on an event loop and
 * must return at once (read a flag or a volatile field).
 */
public interface AdminView {
    /** The active configuration as a JSON document. */
    String configDumpJson();

    /** One block per cluster: endpoints with health and counters, as plain text. */
    String clustersText();

    /** The certificates in use (workload SVID, trust bundle roots) and the mTLS mode, as JSON. */
    default String certsJson() {
        return "{\"mtls\":\"disabled\",\"certificates\":[]}";
    }

    /** Version of the active config snapshot (empty when none has been applied yet). */
    String configVersion();

    /** True when the proxy has its config and listeners and should receive traffic. */
    boolean ready();

    /** True unless the proxy is wedged and should be restarted. */
    boolean live();

    /** Starts draining: report not ready, stop accepting, let in-flight work finish. Returns promptly. */
    void drain();

    /** Shuts the proxy down. Called after the {@code /quitquitquit} response has been written. */
    void quit();

    /**
     * {@code /debug/explain}: what the proxy would do with the request the query describes, as JSON.
     *
     * @throws IllegalArgumentException when the query is missing a parameter or has a malformed one; its message
     *                                  says what is expected
     */
    default String explainJson(java.util.Map<String, java.util.List<String>> query) {
        throw new IllegalArgumentException("explain is not available here");
    }

    /** The live tap of finished requests ({@code /debug/tap}); null where there is none. */
    default io.remora.proxy.log.RequestTap tap() {
        return null;
    }

    /** The registry served at {@code /stats/prometheus}. */
    PrometheusMeterRegistry registry();

    /** The app's probes the health port performs ({@code /app-health/...}); none outside Kubernetes. */
    default AppProbes appProbes() {
        return AppProbes.none();
    }
}
