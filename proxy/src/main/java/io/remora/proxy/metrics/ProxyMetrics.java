package io.remora.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.remora.proxy.log.AccessLog;

import java.util.EnumMap;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Istio's standard request and TCP metrics, with Istio's names and labels so existing dashboards work. Meter groups
 * are built once per label combination and cached; looking one up on the request path costs a hash lookup with a
 * per-thread reusable key and allocates nothing.
 *
 * <p>Label values are bounded: the destination service is a configured service key or {@code unknown}; response
 * codes outside 0-999 become {@code 0}; the request protocol is {@code grpc} or {@code http}; a gRPC status other
 * than empty or a number 0-16 becomes {@code unknown}; response flags other than up to 32 characters of
 * {@code A-Z , -} become {@code unknown}.
 */
public final class ProxyMetrics {
    static final double[] DURATION_BUCKETS_MS = {0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
            30000, 60000, 300000, 600000, 1800000, 3600000};
    static final double[] SIZE_BUCKETS_BYTES = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

    static final String UNKNOWN = "unknown";
    /** What makes a service key ({@code name.namespace}) its cluster name, the form Istio's labels use. */
    static final String CLUSTER_SUFFIX = ".svc.cluster.local";
    private static final String HTTP = "http";
    private static final String GRPC = "grpc";
    private static final String NO_FLAGS = "-";
    private static final int MAX_FLAGS_LENGTH = 32;
    private static final int MAX_GRPC_STATUS = 16;
    private static final String[] STATUS_CODES = new String[1000];

    static {
        for (int i = 0; i < STATUS_CODES.length; i++) {
            STATUS_CODES[i] = Integer.toString(i);
        }
    }

    private final PrometheusMeterRegistry registry;
    private final WorkloadLabels self;
    private final ConcurrentHashMap<RequestKey, RequestMeters> requestMeters = new ConcurrentHashMap<>();
    /** By reporter, then by destination service; the outer map is filled once in the constructor. */
    private final EnumMap<Reporter, ConcurrentHashMap<String, TcpMeters>> tcpMeters = new EnumMap<>(Reporter.class);
    private final ConcurrentHashMap<String, PolicyMeters> policyMeters = new ConcurrentHashMap<>();
    private final ThreadLocal<RequestKey> probe = ThreadLocal.withInitial(RequestKey::new);

    /**
     * @param workload  this proxy's workload (source_workload when reporting outbound traffic, destination_workload
     *                  when reporting inbound)
     * @param namespace this proxy's namespace
     */
    public ProxyMetrics(PrometheusMeterRegistry registry, String workload, String namespace) {
        this(registry, workload, namespace, null);
    }

    /** @param principal this workload's SPIFFE ID when it has one (mTLS), else null */
    public ProxyMetrics(PrometheusMeterRegistry registry, String workload, String namespace, String principal) {
        this(registry, WorkloadLabels.of(Objects.requireNonNull(workload, "workload"),
                Objects.requireNonNull(namespace, "namespace"), java.util.Map.of()), principal);
    }

    /**
     * @param self      this proxy's workload, namespace, app and version (the source side's labels when reporting
     *                  outbound traffic, the destination's when reporting inbound)
     * @param principal this workload's SPIFFE ID when it has one (mTLS), else null
     */
    public ProxyMetrics(PrometheusMeterRegistry registry, WorkloadLabels self, String principal) {
        this.principal = principal == null ? UNKNOWN : principal;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.self = Objects.requireNonNull(self, "self");
        for (Reporter reporter : Reporter.values()) {
            tcpMeters.put(reporter, new ConcurrentHashMap<>());
        }
        this.downstream = new DownstreamMeters(registry);
    }

    private final DownstreamMeters downstream;

    /** Downstream connections cut before a request was routed. */
    public DownstreamMeters downstream() {
        return downstream;
    }

    private final String principal;

    /** This proxy's own labels. */
    public WorkloadLabels self() {
        return self;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * The cached meters for one request label combination.
     *
     * @param destinationService service key ({@code payments.shop}) or {@code unknown}
     * @param requestProtocol    {@code http} or {@code grpc}
     * @param responseCode       HTTP status sent downstream; 0 when none was
     * @param grpcStatus         gRPC status code, {@code ""} when none
     * @param responseFlags      {@code -} when none
     */
    public RequestMeters request(Reporter reporter, String destinationService, String requestProtocol,
                                 int responseCode, String grpcStatus, String responseFlags) {
        return request(reporter, destinationService, requestProtocol, responseCode, grpcStatus, responseFlags, null);
    }

    /**
     * @param peerPrincipal the verified SPIFFE ID of the other side: the caller inbound, the upstream outbound;
     *                      null when the connection was not mutual TLS
     */
    public RequestMeters request(Reporter reporter, String destinationService, String requestProtocol,
                                 int responseCode, String grpcStatus, String responseFlags, String peerPrincipal) {
        return request(reporter, destinationService, requestProtocol, responseCode, grpcStatus, responseFlags,
                peerPrincipal, null);
    }

    /**
     * @param peer what the other side's sidecar told of itself ({@link io.remora.proxy.http.PeerMetadata}); null
     *             when nothing was told: then only the namespace of {@code peerPrincipal} is known
     */
    public RequestMeters request(Reporter reporter, String destinationService, String requestProtocol,
                                 int responseCode, String grpcStatus, String responseFlags, String peerPrincipal,
                                 WorkloadLabels peer) {
        RequestKey key = probe.get().set(reporter, service(destinationService), protocol(requestProtocol),
                code(responseCode), grpcStatus(grpcStatus), flags(responseFlags),
                peerPrincipal == null ? UNKNOWN : peerPrincipal, peer);
        RequestMeters meters = requestMeters.get(key);
        if (meters != null) {
            return meters;
        }
        RequestKey stored = key.copy();
        return requestMeters.computeIfAbsent(stored, this::newRequestMeters);
    }

    /** The cached TCP meters of {@code destinationService} (a service key or {@code unknown}). */
    public TcpMeters tcp(Reporter reporter, String destinationService) {
        return tcp(reporter, destinationService, null);
    }

    /**
     * @param peerPrincipal the other side's verified SPIFFE ID (mutual TLS), null when none; labels as for
     *                      requests
     */
    public TcpMeters tcp(Reporter reporter, String destinationService, String peerPrincipal) {
        ConcurrentHashMap<String, TcpMeters> byService = tcpMeters.get(reporter);
        String service = service(destinationService);
        String peer = peerPrincipal == null ? UNKNOWN : peerPrincipal;
        String key = peerPrincipal == null ? service : service + '|' + peer;
        TcpMeters meters = byService.get(key);
        if (meters != null) {
            return meters;
        }
        return byService.computeIfAbsent(key, k -> newTcpMeters(reporter, service, peer));
    }

    /** The cached {@code remora_*} policy meters of {@code destinationService} (a service key). */
    public PolicyMeters policy(String destinationService) {
        String service = service(destinationService);
        PolicyMeters meters = policyMeters.get(service);
        if (meters != null) {
            return meters;
        }
        return policyMeters.computeIfAbsent(service,
                s -> new PolicyMeters(registry, Tags.of("destination_service", clusterName(s))));
    }

    /** Registers {@code remora_access_log_dropped_total}, read from {@code accessLog}. */
    public void registerAccessLogDropped(AccessLog accessLog) {
        FunctionCounter.builder("remora.access.log.dropped", accessLog, AccessLog::dropped)
                .description("Access log lines dropped because the log writer's queue was full")
                .register(registry);
    }

    private RequestMeters newRequestMeters(RequestKey k) {
        Tags tags = commonTags(k.reporter, k.service, k.peer, k.peerLabels)
                .and("request_protocol", k.protocol)
                .and("response_code", k.code)
                .and("grpc_response_status", k.grpcStatus)
                .and("response_flags", k.flags);
        Counter requests = Counter.builder("istio.requests")
                .description("Requests handled")
                .tags(tags)
                .register(registry);
        DistributionSummary duration = DistributionSummary.builder("istio.request.duration")
                .baseUnit("milliseconds")
                .description("Request duration")
                .serviceLevelObjectives(DURATION_BUCKETS_MS)
                .tags(tags)
                .register(registry);
        DistributionSummary requestBytes = DistributionSummary.builder("istio.request.bytes")
                .baseUnit("bytes")
                .description("Request body size")
                .serviceLevelObjectives(SIZE_BUCKETS_BYTES)
                .tags(tags)
                .register(registry);
        DistributionSummary responseBytes = DistributionSummary.builder("istio.response.bytes")
                .baseUnit("bytes")
                .description("Response body size")
                .serviceLevelObjectives(SIZE_BUCKETS_BYTES)
                .tags(tags)
                .register(registry);
        Counter requestMessages = null;
        Counter responseMessages = null;
        if (GRPC.equals(k.protocol)) {
            requestMessages = Counter.builder("istio.request.messages")
                    .description("gRPC messages received from the client").tags(tags).register(registry);
            responseMessages = Counter.builder("istio.response.messages")
                    .description("gRPC messages sent to the client").tags(tags).register(registry);
        }
        return new RequestMeters(requests, duration, requestBytes, responseBytes, requestMessages, responseMessages);
    }

    private TcpMeters newTcpMeters(Reporter reporter, String service, String peer) {
        Tags tags = commonTags(reporter, service, peer, null);
        return new TcpMeters(
                Counter.builder("istio.tcp.connections.opened").description("TCP connections opened")
                        .tags(tags).register(registry),
                Counter.builder("istio.tcp.connections.closed").description("TCP connections closed")
                        .tags(tags).register(registry),
                Counter.builder("istio.tcp.sent.bytes").baseUnit("bytes")
                        .description("Bytes sent in the response direction of TCP connections")
                        .tags(tags).register(registry),
                Counter.builder("istio.tcp.received.bytes").baseUnit("bytes")
                        .description("Bytes received in the request direction of TCP connections")
                        .tags(tags).register(registry));
    }

    /**
     * Istio's labels, shared by request and TCP metrics. Principals are the SPIFFE IDs of the two sides, known when
     * the connection was mutual TLS; the other side's namespace comes from its SPIFFE ID, its workload, app and
     * version from what its sidecar told ({@code peer}); the destination reports {@code connection_security_policy}
     * ({@code mutual_tls} or {@code none}). {@code destination_service} is the service's cluster name, as Istio's:
     * {@code name.namespace.svc.cluster.local}.
     */
    private Tags commonTags(Reporter reporter, String service, String peerPrincipal, WorkloadLabels peer) {
        boolean source = reporter == Reporter.SOURCE;
        WorkloadLabels other = peer != null ? peer : WorkloadLabels.namespaceOnly(namespaceOf(peerPrincipal));
        WorkloadLabels src = source ? self : other;
        WorkloadLabels dst = source ? other : self;
        int dot = service.indexOf('.');
        boolean key = dot > 0 && service.indexOf('.', dot + 1) < 0;
        String serviceName = key ? service.substring(0, dot) : service;
        String serviceNamespace = key ? service.substring(dot + 1) : UNKNOWN;
        return Tags.of(
                "reporter", reporter.label(),
                "source_workload", src.workload(),
                "source_workload_namespace", src.namespace(),
                "source_principal", source ? principal : peerPrincipal,
                "source_app", src.app(),
                "source_version", src.version(),
                "destination_workload", dst.workload(),
                "destination_workload_namespace", dst.namespace(),
                "destination_principal", source ? peerPrincipal : principal,
                "destination_app", dst.app(),
                "destination_version", dst.version(),
                "destination_service", clusterName(service),
                "destination_service_name", serviceName,
                "destination_service_namespace", serviceNamespace,
                "connection_security_policy", source ? UNKNOWN
                        : UNKNOWN.equals(peerPrincipal) ? "none" : "mutual_tls");
    }

    /** {@code name.namespace.svc.cluster.local} for a service key; anything else ({@code unknown}...) as it is. */
    static String clusterName(String service) {
        int dot = service.indexOf('.');
        return dot > 0 && service.indexOf('.', dot + 1) < 0 ? service + CLUSTER_SUFFIX : service;
    }

    /** The namespace of a workload SPIFFE ID; null otherwise (read when a meter group is made, not per request). */
    static String namespaceOf(String principal) {
        if (principal == null || UNKNOWN.equals(principal)) {
            return null;
        }
        try {
            return io.remora.certs.SpiffeId.parse(principal).namespace();
        } catch (IllegalArgumentException notSpiffe) {
            return null;
        }
    }

    private static String service(String destinationService) {
        return destinationService == null || destinationService.isEmpty() ? UNKNOWN : destinationService;
    }

    private static String protocol(String requestProtocol) {
        return GRPC.equalsIgnoreCase(requestProtocol) ? GRPC : HTTP;
    }

    private static String code(int responseCode) {
        return responseCode >= 0 && responseCode < STATUS_CODES.length ? STATUS_CODES[responseCode] : STATUS_CODES[0];
    }

    private static String grpcStatus(String status) {
        if (status == null || status.isEmpty()) {
            return "";
        }
        int length = status.length();
        if (length > 2) {
            return UNKNOWN;
        }
        int value = 0;
        for (int i = 0; i < length; i++) {
            char c = status.charAt(i);
            if (c < '0' || c > '9') {
                return UNKNOWN;
            }
            value = value * 10 + (c - '0');
        }
        return value <= MAX_GRPC_STATUS ? status : UNKNOWN;
    }

    private static String flags(String flags) {
        if (flags == null || flags.isEmpty()) {
            return NO_FLAGS;
        }
        if (flags.length() > MAX_FLAGS_LENGTH) {
            return UNKNOWN;
        }
        for (int i = 0; i < flags.length(); i++) {
            char c = flags.charAt(i);
            if (!(c >= 'A' && c <= 'Z') && c != ',' && c != '-') {
                return UNKNOWN;
            }
        }
        return flags;
    }

    /**
     * Cache key of a request meter group. One mutable instance per thread serves as the lookup probe; on a miss an
     * immutable copy is stored. Stored keys are never modified.
     */
    private static final class RequestKey {
        private Reporter reporter;
        private String service;
        private String protocol;
        private String code;
        private String grpcStatus;
        private String flags;
        private String peer;
        private WorkloadLabels peerLabels;
        private int hash;

        RequestKey set(Reporter reporter, String service, String protocol, String code, String grpcStatus,
                       String flags, String peer, WorkloadLabels peerLabels) {
            this.peer = peer;
            this.peerLabels = peerLabels;
            this.reporter = Objects.requireNonNull(reporter, "reporter");
            this.service = service;
            this.protocol = protocol;
            this.code = code;
            this.grpcStatus = grpcStatus;
            this.flags = flags;
            int h = reporter.ordinal();
            h = 31 * h + service.hashCode();
            h = 31 * h + protocol.hashCode();
            h = 31 * h + code.hashCode();
            h = 31 * h + grpcStatus.hashCode();
            h = 31 * h + flags.hashCode();
            h = 31 * h + peer.hashCode();
            h = 31 * h + Objects.hashCode(peerLabels);
            this.hash = h;
            return this;
        }

        RequestKey copy() {
            return new RequestKey().set(reporter, service, protocol, code, grpcStatus, flags, peer, peerLabels);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof RequestKey)) {
                return false;
            }
            RequestKey k = (RequestKey) o;
            return hash == k.hash && reporter == k.reporter && code.equals(k.code) && service.equals(k.service)
                    && protocol.equals(k.protocol) && grpcStatus.equals(k.grpcStatus) && flags.equals(k.flags)
                    && peer.equals(k.peer) && Objects.equals(peerLabels, k.peerLabels);
        }
    }
}
