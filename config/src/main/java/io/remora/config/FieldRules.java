package io.remora.config;

import java.lang.reflect.RecordComponent;
import java.util.Map;
import java.util.Set;

/**
 * What the binder needs to know about a record component beyond its Java type: whether it must be given, the
 * value it takes when absent (primitives only; every other default lives in the compact constructors), and the
 * integers it accepts. The values come from {@link Defaults}. Ranges are checked on the raw value because some
 * compact constructors normalise out-of-range numbers.
 */
final class FieldRules {
    /**
     * @param required   absent (or null) is an error
     * @param whenAbsent value passed to the constructor when absent; null means null, 0 or false
     * @param range      accepted integers (also for each element of a list of integers); null means any int
     */
    record Rule(boolean required, Object whenAbsent, IntRange range) {
    }

    private static final Rule OPTIONAL = new Rule(false, null, null);
    private static final Rule REQUIRED = new Rule(true, null, null);

    private static final Map<Class<?>, Map<String, Rule>> RULES = Map.ofEntries(
            Map.entry(Metadata.class, Map.of("name", REQUIRED)),
            Map.entry(Sidecar.Spec.class, Map.of(
                    "threads", new Rule(false, Defaults.THREADS, IntRange.THREADS),
                    "accessLog", new Rule(false, Defaults.ACCESS_LOG, null),
                    "serverFirstPorts", new Rule(false, null, IntRange.PORT))),
            Map.entry(Sidecar.Upstream.class, Map.of("listen", REQUIRED, "service", REQUIRED)),
            Map.entry(Sidecar.Tracing.class, Map.of(
                    "maxQueueSize", new Rule(false, null, IntRange.POSITIVE),
                    "maxBatchSize", new Rule(false, null, IntRange.POSITIVE))),
            Map.entry(Sidecar.InboundPort.class, Map.of("port", new Rule(true, null, IntRange.PORT))),
            Map.entry(Sidecar.Tls.class, Map.of("certificate", REQUIRED, "privateKey", REQUIRED)),
            Map.entry(Sidecar.Limits.class, Map.of(
                    "maxRequestLineBytes", new Rule(false, null, IntRange.POSITIVE),
                    "maxHeaderBytes", new Rule(false, null, IntRange.POSITIVE),
                    "maxConcurrentStreams", new Rule(false, null, IntRange.POSITIVE),
                    "maxHeaders", new Rule(false, null, IntRange.POSITIVE))),
            Map.entry(Service.Endpoint.class, Map.of(
                    "address", REQUIRED,
                    "weight", new Rule(false, Defaults.ENDPOINT_WEIGHT, IntRange.POSITIVE))),
            Map.entry(Service.Subset.class, Map.of("name", REQUIRED)),
            Map.entry(Service.CircuitBreaker.class, Map.of(
                    "enabled", new Rule(false, true, null),
                    "maxConnections", new Rule(false, Defaults.MAX_CONNECTIONS, IntRange.POSITIVE),
                    "maxPendingRequests", new Rule(false, Defaults.MAX_PENDING_REQUESTS, IntRange.NON_NEGATIVE),
                    "maxRequests", new Rule(false, Defaults.MAX_REQUESTS, IntRange.POSITIVE),
                    "maxRetries", new Rule(false, Defaults.MAX_RETRIES, IntRange.NON_NEGATIVE))),
            Map.entry(Service.OutlierDetection.class, Map.of(
                    "consecutiveGatewayErrors",
                    new Rule(false, Defaults.OUTLIER_CONSECUTIVE_GATEWAY_ERRORS, IntRange.NON_NEGATIVE),
                    "consecutive5xxErrors",
                    new Rule(false, Defaults.OUTLIER_CONSECUTIVE_5XX_ERRORS, IntRange.NON_NEGATIVE),
                    "maxEjectionPercent", new Rule(false, Defaults.OUTLIER_MAX_EJECTION_PERCENT, IntRange.PERCENT),
                    "minHealthPercent", new Rule(false, Defaults.OUTLIER_MIN_HEALTH_PERCENT, IntRange.PERCENT))),
            Map.entry(Service.RetryBudget.class, Map.of(
                    "enabled", new Rule(false, true, null),
                    "percent", new Rule(false, Defaults.RETRY_BUDGET_PERCENT, IntRange.PERCENT),
                    "minRetriesPerSecond",
                    new Rule(false, Defaults.RETRY_BUDGET_MIN_RETRIES_PER_SECOND, IntRange.NON_NEGATIVE))),
            Map.entry(Route.Retries.class, Map.of(
                    "attempts", new Rule(false, Defaults.RETRY_ATTEMPTS, IntRange.ATTEMPTS),
                    "statusCodes", new Rule(false, null, IntRange.HTTP_STATUS))),
            Map.entry(Route.Abort.class, Map.of("httpStatus", new Rule(false, null, IntRange.ABORT_STATUS))),
            Map.entry(Route.RateLimit.class, Map.of(
                    "maxTokens", new Rule(true, null, IntRange.POSITIVE),
                    "tokensPerFill", new Rule(false, null, IntRange.POSITIVE))),
            Map.entry(Route.Backend.class, Map.of(
                    "service", REQUIRED,
                    "weight", new Rule(false, Defaults.WEIGHT, IntRange.NON_NEGATIVE))));

    /**
     * Fields that name a file or directory: a relative one is resolved against the directory of the config file it
     * is written in (kubeconfig's rule), so the proxy and {@code remora validate} read the same file wherever they
     * are started from.
     */
    private static final Map<Class<?>, Set<String>> FILE_PATHS = Map.of(
            Sidecar.Tls.class, Set.of("certificate", "privateKey"),
            Sidecar.Mtls.class, Set.of("certificate", "privateKey", "trustBundle"),
            Sidecar.ControlPlane.class, Set.of("tokenFile", "trustBundle", "stateDir"));

    private FieldRules() {
    }

    /** Whether the component names a file or directory (see {@link #FILE_PATHS}). */
    static boolean isFilePath(Class<?> owner, String component) {
        return FILE_PATHS.getOrDefault(owner, Set.of()).contains(component);
    }

    static Rule of(Class<?> owner, String component) {
        return RULES.getOrDefault(owner, Map.of()).getOrDefault(component, OPTIONAL);
    }

    /** The constructor argument for a component that was not given. */
    static Object absentValue(Class<?> owner, RecordComponent component) {
        Object value = of(owner, component.getName()).whenAbsent();
        if (value != null) {
            return value;
        }
        Class<?> type = component.getType();
        if (type == boolean.class) {
            return false;
        }
        if (type.isPrimitive()) {
            return 0;
        }
        return null;
    }
}
