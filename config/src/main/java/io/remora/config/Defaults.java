package io.remora.config;

import java.time.Duration;
import java.util.List;

/**
 * Every default of the config model, in one place, with the reason. docs/CONFIG.md lists the same table.
 */
public final class Defaults {
    private Defaults() {
    }

    /** Namespace of a resource that names none. */
    public static final String NAMESPACE = "default";
    /** Event loops: two, like Envoy's sidecar concurrency; a sidecar should not take every core of its pod. */
    public static final int THREADS = 2;
    /** Admin on loopback only: it can drain and stop the proxy. Istio's port. */
    public static final HostPort ADMIN = new HostPort("127.0.0.1", 15000);
    /** Prometheus scrape port, Istio's, so existing scrape configs carry over. */
    public static final HostPort METRICS = new HostPort("0.0.0.0", 15020);
    /** Kubelet probes, Istio's port. */
    public static final HostPort HEALTH = new HostPort("0.0.0.0", 15021);
    /** Inbound capture listener, Istio's port. */
    public static final HostPort INBOUND = new HostPort("0.0.0.0", 15006);
    /** Outbound capture listener (iptables REDIRECT target), Istio's port. */
    public static final HostPort CAPTURE = new HostPort("0.0.0.0", 15001);
    /** Local application address when the Sidecar names none. */
    public static final HostPort APP = new HostPort("127.0.0.1", 8080);
    /** Drain: Istio's terminationDrainDuration; shorter than Kubernetes' 30 s grace period. */
    public static final Duration DRAIN_TIME = Duration.ofSeconds(5);
    /** Request line limit; longer lines are answered 414. */
    public static final int MAX_REQUEST_LINE_BYTES = 16 * 1024;
    /** Header block limit, Envoy's 60 KiB default rounded up; larger blocks are answered 431. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    /** HTTP/2 streams per downstream connection. */
    public static final int MAX_CONCURRENT_STREAMS = 1024;
    /** Downstream idle timeout: Envoy's one hour is too long for a sidecar; 5 minutes. */
    public static final Duration DOWNSTREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Connect timeout to an endpoint: 1 s; a healthy endpoint on a cluster network connects in milliseconds. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** Pooled upstream idle timeout (60 s); set it below the app's keep-alive timeout (Node.js: 5 s) so a pooled connection is never reused as the server closes it. */
    public static final Duration UPSTREAM_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Ports whose protocol speaks first (MySQL, PostgreSQL-ish, Redis, SMTP...): opaque without waiting. */
    public static final List<Integer> SERVER_FIRST_PORTS = List.of(25, 3306, 5432, 6379, 11211, 27017);
    /** Backend weight when none is given. */
    public static final int WEIGHT = 1;
    /** Endpoint weight when none is given: every endpoint of a subset takes an equal share. */
    public static final int ENDPOINT_WEIGHT = 1;
    /** Access log on: one JSON line per request on stdout is what {@code kubectl logs} shows when a call fails. */
    public static final boolean ACCESS_LOG = true;
    /** Most event loops a Sidecar may ask for; more only adds contention in a sidecar's CPU share. */
    public static final int MAX_THREADS = 64;
}
