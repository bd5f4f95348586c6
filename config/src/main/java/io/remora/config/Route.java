package io.remora.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Ordered rules for requests addressed to some services: first matching rule wins. */
public record Route(Metadata metadata, Spec spec) implements Resource {
    public Route {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String kind() {
        return "Route";
    }

    /**
     * @param services service keys ({@code name.namespace}) or hosts this route applies to
     * @param rules    evaluated in order
     */
    public record Spec(List<String> services, List<Rule> rules) {
        public Spec {
            services = services == null ? List.of() : List.copyOf(services);
            rules = rules == null ? List.of() : List.copyOf(rules);
        }
    }

    /**
     * @param name      for logs and metrics
     * @param matches   any one matching selects the rule; empty matches everything
     * @param backends  weighted targets; the request goes to one of them
     * @param timeout   deadline of the whole exchange, retries and backoff included, from the moment the request
     *                  head arrives; 0 means none. A gRPC request's own {@code grpc-timeout} takes its place.
     * @param retries   when and how often a failed attempt is tried again
     * @param fault     faults injected on purpose, to test how callers cope
     * @param rateLimit local token bucket for the requests this rule matches
     */
    public record Rule(String name, List<Match> matches, List<Backend> backends, java.time.Duration timeout,
                       Retries retries, Fault fault, RateLimit rateLimit) {
        public Rule {
            matches = matches == null ? List.of() : List.copyOf(matches);
            backends = backends == null ? List.of() : List.copyOf(backends);
            timeout = timeout == null ? Defaults.ROUTE_TIMEOUT : timeout;
            retries = retries == null ? Retries.defaults() : retries;
        }

        public Rule(String name, List<Match> matches, List<Backend> backends) {
            this(name, matches, backends, null, null, null, null);
        }
    }

    /**
     * Retries of one rule. Failures before the request reached the upstream (connect failure, refused stream) are
     * retried whatever the method; the other conditions (a reused connection closing before any response included)
     * only for idempotent methods unless {@code nonIdempotent} is set. Nothing is retried once response bytes went
     * downstream, and request bodies above 64 KiB are not retried.
     *
     * @param attempts        tries in total, the first one included; 1 turns retries off
     * @param perTryTimeout   limit of one try, never more than the time left before the deadline; 0 means none
     * @param retryOn         conditions that make a try fail and be retried
     * @param statusCodes     further HTTP statuses that are retried (with {@code retriable-status-codes} implied)
     * @param grpcStatusCodes further gRPC statuses that are retried
     * @param nonIdempotent   also retry methods that are not idempotent (POST, PATCH) on response-class conditions
     * @param backoff         full-jitter exponential wait between tries
     */
    public record Retries(int attempts, java.time.Duration perTryTimeout, List<RetryOn> retryOn,
                          List<Integer> statusCodes, List<GrpcStatus> grpcStatusCodes, boolean nonIdempotent,
                          Backoff backoff) {
        public Retries {
            perTryTimeout = perTryTimeout == null ? java.time.Duration.ZERO : perTryTimeout;
            retryOn = retryOn == null ? Defaults.RETRY_ON : List.copyOf(retryOn);
            statusCodes = statusCodes == null ? List.of() : List.copyOf(statusCodes);
            grpcStatusCodes = grpcStatusCodes == null ? List.of() : List.copyOf(grpcStatusCodes);
            backoff = backoff == null ? Backoff.defaults() : backoff;
        }

        public static Retries defaults() {
            return new Retries(Defaults.RETRY_ATTEMPTS, null, null, null, null, false, null);
        }
    }

    /** Wait before retry n: uniform in [0, min(maxInterval, baseInterval × 2^(n-1))]. */
    public record Backoff(java.time.Duration baseInterval, java.time.Duration maxInterval) {
        public Backoff {
            baseInterval = baseInterval == null ? Defaults.RETRY_BACKOFF_BASE : baseInterval;
            maxInterval = maxInterval == null ? Defaults.RETRY_BACKOFF_MAX : maxInterval;
        }

        public static Backoff defaults() {
            return new Backoff(null, null);
        }
    }

    /** Faults injected into the requests a rule matches; each applies to its own share of requests. */
    public record Fault(Abort abort, Delay delay) {
    }

    /**
     * Answer {@code percent} of requests locally, without calling the upstream (flag {@code FI}).
     *
     * @param httpStatus status of the answer (gRPC requests get the matching gRPC status)
     * @param grpcStatus gRPC status for gRPC requests, instead of the one matching {@code httpStatus}
     */
    public record Abort(double percent, int httpStatus, GrpcStatus grpcStatus) {
    }

    /** Hold {@code percent} of requests for {@code fixedDelay} before they go on (flag {@code DI}). */
    public record Delay(double percent, java.time.Duration fixedDelay) {
    }

    /**
     * A token bucket shared by every connection of the sidecar (Envoy's local rate limit): it starts full, gains
     * {@code tokensPerFill} every {@code fillInterval} up to {@code maxTokens}, and a request without a token is
     * answered 429 with flag {@code RL}.
     */
    public record RateLimit(int maxTokens, int tokensPerFill, java.time.Duration fillInterval) {
        public RateLimit {
            tokensPerFill = tokensPerFill == 0 ? maxTokens : tokensPerFill;
            fillInterval = fillInterval == null ? Defaults.RATE_LIMIT_FILL_INTERVAL : fillInterval;
        }
    }

    /** All given conditions must hold. */
    public record Match(StringMatch path, String method, Map<String, StringMatch> headers) {
        public Match {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }
    }

    /** Exactly one of exact, prefix, regex. */
    public record StringMatch(String exact, String prefix, String regex) {
        public static StringMatch exact(String s) {
            return new StringMatch(s, null, null);
        }

        public static StringMatch prefix(String s) {
            return new StringMatch(null, s, null);
        }

        public static StringMatch regex(String s) {
            return new StringMatch(null, null, s);
        }
    }

    /**
     * @param service service key ({@code name.namespace})
     * @param subset  subset name within the service; null means all endpoints
     * @param weight  relative share (default 1)
     */
    public record Backend(String service, String subset, int weight) {
        public Backend {
            Objects.requireNonNull(service, "service");
            weight = weight < 0 ? 0 : weight;
        }
    }
}
