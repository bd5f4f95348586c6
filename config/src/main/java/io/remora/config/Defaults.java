package io.remora.config;

import java.time.Duration;
import java.util.List;

/**
 * Every default of the config model, in one place, with the reason. docs/CONFIG.md lists the same table.
 */
public final class Defaults {
    private Defaults() {
    }

    /**
     * Largest config file read (4 MiB): a real config is kilobytes (a Kubernetes ConfigMap holds at most 1 MiB),
     * while parsing a file of many megabytes takes more than a sidecar's heap; {@code REMORA_CONFIG_MAX_FILE_SIZE}
     * raises or lowers it.
     */
    public static final int CONFIG_MAX_FILE_SIZE = 4 * 1024 * 1024;
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
    /** Header fields in one request head, Envoy's {@code max_headers_count}; more are answered 431. */
    public static final int MAX_HEADERS = 100;
    /**
     * Time for a whole request head (Envoy's {@code request_headers_timeout}): a client trickling bytes resets the
     * idle timer with each one, so only a limit on the head itself stops slowloris; 10 s is ample for any real client.
     */
    public static final Duration REQUEST_HEADERS_TIMEOUT = Duration.ofSeconds(10);
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
    /**
     * Every access-log field, in {@link AccessLogField}'s order: Envoy's default fields and what a sidecar adds
     * (direction, peer principal, details); a field with no value is left out of a line, so more fields cost
     * nothing on a request that has none of them.
     */
    public static final List<String> ACCESS_LOG_FIELDS = AccessLogField.jsonNames();
    /** Most event loops a Sidecar may ask for; more only adds contention in a sidecar's CPU share. */
    public static final int MAX_THREADS = 64;
    /**
     * Route deadline for the whole exchange, retries included: a hung upstream is answered 504 within seconds, not
     * held until the caller gives up. Long streams (gRPC server streaming, downloads) set their own or 0.
     */
    public static final Duration ROUTE_TIMEOUT = Duration.ofSeconds(15);
    /** Tries per request, the first included: one retry absorbs a single bad endpoint or connection race. */
    public static final int RETRY_ATTEMPTS = 2;
    /** Conditions retried by default: every failure of the network or of a gateway, none of the application's. */
    public static final List<RetryOn> RETRY_ON = List.of(RetryOn.CONNECT_FAILURE, RetryOn.REFUSED_STREAM,
            RetryOn.RESET_BEFORE_RESPONSE, RetryOn.GATEWAY_ERROR);
    /** First retry waits up to 25 ms (full jitter): long enough to get past a blip, short next to a deadline. */
    public static final Duration RETRY_BACKOFF_BASE = Duration.ofMillis(25);
    /** Longest wait between tries: 250 ms, so backoff never eats the deadline. */
    public static final Duration RETRY_BACKOFF_MAX = Duration.ofMillis(250);
    /** Request bodies up to 64 KiB are kept for a retry; a larger body is streamed once and not retried. */
    public static final int RETRY_BUFFER_BYTES = 64 * 1024;
    /** Retries may be 20 % of requests (Linkerd's budget): an outage gets at most 1.2× the load, not 2×. */
    public static final int RETRY_BUDGET_PERCENT = 20;
    /** ... plus 10 retries per second, so a quiet service can still retry. */
    public static final int RETRY_BUDGET_MIN_RETRIES_PER_SECOND = 10;
    /** Window over which requests and retries are counted for the budget. */
    public static final Duration RETRY_BUDGET_WINDOW = Duration.ofSeconds(10);
    /** Circuit breaker: connections to one service (Envoy's 1024). */
    public static final int MAX_CONNECTIONS = 1024;
    /** Circuit breaker: requests waiting for a connection to one service (Envoy's 1024). */
    public static final int MAX_PENDING_REQUESTS = 1024;
    /** Circuit breaker: requests in flight to one service (Envoy's 1024). */
    public static final int MAX_REQUESTS = 1024;
    /** Circuit breaker: retries in flight to one service (Envoy's 3): retries cannot pile up during an outage. */
    public static final int MAX_RETRIES = 3;
    /** Outlier detection: 5 gateway errors in a row eject an endpoint (Envoy's and Istio's threshold). */
    public static final int OUTLIER_CONSECUTIVE_GATEWAY_ERRORS = 5;
    /** Outlier detection on any 5xx is off: an application's 500 says nothing about the endpoint's health. */
    public static final int OUTLIER_CONSECUTIVE_5XX_ERRORS = 0;
    /** Ejected endpoints are checked for return every 10 s (Envoy's interval). */
    public static final Duration OUTLIER_INTERVAL = Duration.ofSeconds(10);
    /** First ejection lasts 30 s; each further one lasts 30 s longer. */
    public static final Duration OUTLIER_BASE_EJECTION_TIME = Duration.ofSeconds(30);
    /** No ejection lasts longer than 5 minutes. */
    public static final Duration OUTLIER_MAX_EJECTION_TIME = Duration.ofMinutes(5);
    /** At most 10 % of endpoints ejected (at least one): detection must never empty a service (envoy#2671). */
    public static final int OUTLIER_MAX_EJECTION_PERCENT = 10;
    /** Below 50 % healthy, requests go to every endpoint (panic mode): overload beats no service at all. */
    public static final int OUTLIER_MIN_HEALTH_PERCENT = 50;
    /** A rate limit's bucket refills once a second unless it says otherwise. */
    public static final Duration RATE_LIMIT_FILL_INTERVAL = Duration.ofSeconds(1);
    /** Shortest refill interval: finer buckets cost a refill per request and gain nothing. */
    public static final Duration RATE_LIMIT_MIN_FILL_INTERVAL = Duration.ofMillis(50);
    /** Status of an injected abort that names none. */
    public static final int FAULT_ABORT_STATUS = 503;
    /**
     * Tracing starts a new trace for 1 % of requests that arrive without a decision, Istio's default: a busy service
     * still shows every path it takes, and the collector gets a hundredth of the spans.
     */
    public static final double TRACING_SAMPLING = 1.0;
    /**
     * Spans waiting for export: 1024, about a megabyte of a sidecar's heap. A sidecar sending 1 % of 5,000 requests
     * a second fills a fifth of it between two batches; a collector that is down costs at most this much memory.
     */
    public static final int TRACING_MAX_QUEUE_SIZE = 1024;
    /** Spans in one export request: 512, the OpenTelemetry SDK's default (a request of a few hundred KiB). */
    public static final int TRACING_MAX_BATCH_SIZE = 512;
    /** A span waits at most 5 s for its batch, the OpenTelemetry SDK's default schedule delay. */
    public static final Duration TRACING_BATCH_INTERVAL = Duration.ofSeconds(5);
    /**
     * One export request may take 5 s (connecting included) and is not retried: a collector in the cluster answers in
     * milliseconds, and a batch that fails is dropped and counted rather than kept while the queue fills behind it.
     */
    public static final Duration TRACING_EXPORT_TIMEOUT = Duration.ofSeconds(5);
    /** The OTLP/HTTP path of traces, added to a collector URL that has none. */
    public static final String TRACING_PATH = "/v1/traces";
    /** Workload certificates live a day: a leaked key is short-lived, and renewal runs daily, so it works. */
    public static final Duration CERTIFICATE_TTL = Duration.ofHours(24);
}
