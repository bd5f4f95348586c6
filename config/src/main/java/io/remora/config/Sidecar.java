package io.remora.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Bootstrap of one proxy: where it listens, what it forwards to, its limits. */
public record Sidecar(Metadata metadata, Spec spec) implements Resource {
    public Sidecar {
        Objects.requireNonNull(metadata, "metadata");
        spec = spec == null ? Spec.defaults() : spec;
    }

    /** The bootstrap used when config holds none: named {@code sidecar} in the default namespace, every default. */
    public static Sidecar defaults() {
        return new Sidecar(Metadata.of("sidecar", Defaults.NAMESPACE), null);
    }

    @Override
    public String kind() {
        return "Sidecar";
    }

    /** The workload's name: {@code spec.workload}, or the resource's name when that is not set. */
    public String workload() {
        return spec.workload() != null ? spec.workload() : metadata.name();
    }

    /**
     * @param workload     workload name used as source/destination_workload in metrics (default: metadata.name)
     * @param threads      event loops; 0 means one per core
     * @param inbound      inbound listener forwarding to the local app; null means none
     * @param outbound     outbound listeners (capture port and explicit upstreams)
     * @param admin        admin listener (/config_dump, /clusters, /drain, /quitquitquit)
     * @param metrics      metrics listener (/stats/prometheus)
     * @param health       health listener (/healthz/ready, /healthz/live)
     * @param drainTime    longest time a drain waits for in-flight requests before exiting
     * @param accessLog    write one JSON line per request to stdout
     * @param accessLogFields the fields of each line, in order, by JSON name or Envoy command operator
     *                     ({@link AccessLogField}); absent: every field, the default line
     * @param limits       request parsing limits
     * @param serverFirstPorts destination ports treated as opaque TCP without waiting for client bytes
     * @param mtls         the workload's identity and how it talks to other sidecars; null means no mTLS, unless a
     *                     control plane issues the identity
     * @param controlPlane where services, routes, policies and the workload certificate come from; null means
     *                     static mode (all from local files)
     * @param tracing      spans of the requests this sidecar proxies and where they are sent; off without a
     *                     collector
     * @param transport    how the event loops do their I/O ({@link IoTransport}); absent: {@code auto}
     */
    public record Spec(String workload, int threads, Inbound inbound, Outbound outbound, HostPort admin,
                       HostPort metrics, HostPort health, Duration drainTime, boolean accessLog,
                       List<String> accessLogFields, Limits limits, List<Integer> serverFirstPorts, Mtls mtls,
                       ControlPlane controlPlane, Tracing tracing, IoTransport transport) {
        public Spec {
            transport = transport == null ? IoTransport.AUTO : transport;
            accessLogFields = accessLogFields == null ? Defaults.ACCESS_LOG_FIELDS : List.copyOf(accessLogFields);
            tracing = tracing == null ? Tracing.defaults() : tracing;
            threads = Math.max(0, threads);
            outbound = outbound == null ? Outbound.defaults() : outbound;
            admin = admin == null ? Defaults.ADMIN : admin;
            metrics = metrics == null ? Defaults.METRICS : metrics;
            health = health == null ? Defaults.HEALTH : health;
            drainTime = drainTime == null ? Defaults.DRAIN_TIME : drainTime;
            limits = limits == null ? Limits.defaults() : limits;
            serverFirstPorts = serverFirstPorts == null ? Defaults.SERVER_FIRST_PORTS : List.copyOf(serverFirstPorts);
        }

        public Spec(String workload, int threads, Inbound inbound, Outbound outbound, HostPort admin, HostPort metrics,
                    HostPort health, Duration drainTime, boolean accessLog, Limits limits,
                    List<Integer> serverFirstPorts, Mtls mtls) {
            this(workload, threads, inbound, outbound, admin, metrics, health, drainTime, accessLog, null, limits,
                    serverFirstPorts, mtls, null, null, null);
        }

        public static Spec defaults() {
            return new Spec(null, Defaults.THREADS, null, null, null, null, null, null, Defaults.ACCESS_LOG, null, null,
                    null, null, null, null, null);
        }

        /** This spec with another {@code mtls} and every other field kept (copying field by field drops new ones). */
        public Spec withMtls(Mtls other) {
            return new Spec(workload, threads, inbound, outbound, admin, metrics, health, drainTime, accessLog,
                    accessLogFields, limits, serverFirstPorts, other, controlPlane, tracing, transport);
        }
    }

    /**
     * Tracing: one OpenTelemetry span per HTTP request this sidecar proxies (SERVER inbound, CLIENT outbound), sent
     * to an OTLP/HTTP collector, and the trace context (W3C {@code traceparent}, B3) carried to the next hop.
     * Tracing is on when a {@code collector} is set and {@code sampling} is above 0.
     *
     * @param sampling      percentage (0-100) of requests that start a new trace when they arrive with no sampling
     *                      decision; a decision made upstream is honoured either way (default 1, Istio's)
     * @param collector     the collector's OTLP/HTTP traces URL ({@code http://otel-collector.observability:4318});
     *                      a URL with no path gets {@code /v1/traces}; null: no tracing
     * @param maxQueueSize  spans waiting for export; a span that finds the queue full is dropped and counted
     * @param maxBatchSize  most spans in one export request (at most {@code maxQueueSize})
     * @param batchInterval longest a span waits before the batch holding it is sent
     */
    public record Tracing(Double sampling, String collector, int maxQueueSize, int maxBatchSize,
                          Duration batchInterval) {
        public Tracing {
            sampling = sampling == null ? Defaults.TRACING_SAMPLING : sampling;
            maxQueueSize = maxQueueSize <= 0 ? Defaults.TRACING_MAX_QUEUE_SIZE : maxQueueSize;
            maxBatchSize = maxBatchSize <= 0 ? Math.min(Defaults.TRACING_MAX_BATCH_SIZE, maxQueueSize) : maxBatchSize;
            batchInterval = batchInterval == null ? Defaults.TRACING_BATCH_INTERVAL : batchInterval;
        }

        /** No collector: tracing off. */
        public static Tracing defaults() {
            return new Tracing(null, null, 0, 0, null);
        }

        /** What a collector's URL must look like, as errors say it. */
        public static final String COLLECTOR_URL = "an OTLP/HTTP URL like http://otel-collector.observability:4318"
                + " (http or https, a host, an optional port 1-65535 and path; no query)";

        /**
         * Whether {@code text} is a collector's URL: absolute http(s) with a host, a port (if any) 1-65535, and no
         * user, query or fragment. The one check of it, for the Sidecar and for the injector's settings alike.
         */
        public static boolean isCollectorUrl(String text) {
            java.net.URI uri;
            try {
                uri = new java.net.URI(text);
            } catch (java.net.URISyntaxException e) {
                return false;
            }
            String scheme = uri.getScheme();
            boolean http = "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
            boolean port = uri.getPort() == -1 || (uri.getPort() >= 1 && uri.getPort() <= 65535);
            Authority host = uri.getHost() == null ? null : Authority.of(uri.getHost());
            return http && host != null && HostNames.isHost(host.host()) && port
                    && uri.getRawUserInfo() == null && uri.getRawQuery() == null && uri.getRawFragment() == null;
        }

        /** Whether spans are made and sent at all: a collector is set and some requests are sampled. */
        public boolean enabled() {
            return collector != null && sampling > 0;
        }

        /** The URL spans are posted to: {@code collector}, with {@code /v1/traces} when it has no path; or null. */
        public String tracesEndpoint() {
            if (collector == null) {
                return null;
            }
            String path = java.net.URI.create(collector).getRawPath();
            if (path == null || path.isEmpty() || path.equals("/")) {
                return (collector.endsWith("/") ? collector.substring(0, collector.length() - 1) : collector)
                        + Defaults.TRACING_PATH;
            }
            return collector;
        }
    }

    /**
     * The control plane this sidecar is configured by. Its certificate (an X.509-SVID naming its identity) comes
     * from the control plane's CA service, which decides the identity from the credential in {@code tokenFile}.
     *
     * @param address     host:port of the control plane (its port is 15010)
     * @param tokenFile   the workload's credential: a bootstrap token locally, the projected service-account token
     *                    in Kubernetes; read again at every certificate request
     * @param trustBundle PEM roots the control plane's certificate must lead to (the mesh's roots)
     * @param identity    the SPIFFE ID the control plane must present; null: any ID of the trust domain whose
     *                    service account is {@code remora-control-plane}
     * @param stateDir    where the last-known-good config and the current certificate are kept, so a restart while
     *                    the control plane is unreachable starts from them; null: {@code <tmp>/remora/<ns>/<workload>}
     */
    public record ControlPlane(HostPort address, String tokenFile, String trustBundle, String identity,
                               String stateDir) {
    }

    /** The directory the control-plane client keeps its state in ({@code controlPlane.stateDir} or its default). */
    public java.nio.file.Path stateDir() {
        ControlPlane cp = spec.controlPlane();
        if (cp != null && cp.stateDir() != null) {
            return java.nio.file.Path.of(cp.stateDir());
        }
        return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "remora", metadata.namespace(), workload());
    }

    /**
     * Mutual TLS between sidecars. Inbound, {@code mode} says what is accepted; outbound, connections to endpoints
     * that declare an {@code identity} originate mTLS and the peer must present exactly that SPIFFE ID. The
     * workload's certificate comes from files ({@code certificate}, {@code privateKey}) or is issued and renewed by
     * the sidecar itself from a local CA ({@code localCa}), one or the other.
     *
     * @param mode           STRICT, PERMISSIVE (default) or DISABLE
     * @param certificate    PEM X.509-SVID of this workload, leaf first, then intermediates; re-read when it changes
     * @param privateKey     PEM PKCS#8 key of the leaf
     * @param trustBundle    PEM roots of the trust domain (several during a root rotation)
     * @param localCa        a CA (certificate and key) the sidecar issues its own SVID from, renewing it at half its
     *                       lifetime
     * @param serviceAccount with {@code localCa}: the SVID is {@code spiffe://<td>/ns/<namespace>/sa/<this>}
     *                       (default: the workload name)
     * @param certificateTtl with {@code localCa}: lifetime of each SVID (default 24h)
     */
    public record Mtls(MtlsMode mode, String certificate, String privateKey, String trustBundle, Tls localCa,
                       String serviceAccount, Duration certificateTtl) {
        public Mtls {
            mode = mode == null ? MtlsMode.PERMISSIVE : mode;
            certificateTtl = certificateTtl == null ? Defaults.CERTIFICATE_TTL : certificateTtl;
        }

        public Mtls(MtlsMode mode, String certificate, String privateKey, String trustBundle) {
            this(mode, certificate, privateKey, trustBundle, null, null, null);
        }

        /** Whether this sidecar speaks mTLS at all. */
        public boolean enabled() {
            return mode != MtlsMode.DISABLE;
        }
    }

    /**
     * @param listen      address the inbound listener binds (default 0.0.0.0:15006)
     * @param app         the local application's address (default 127.0.0.1:8080); with {@code ports}, only its host
     *                    is used
     * @param appProtocol protocol the local app speaks
     * @param tls         when set, the inbound listener terminates TLS and negotiates HTTP/2 or HTTP/1.1
     *                    by ALPN; when absent, TLS arriving there is relayed as opaque bytes
     * @param ports       the pod's ports when inbound traffic is captured (iptables REDIRECT to the listener): each
     *                    connection goes to the app on the port the caller dialled (its original destination),
     *                    spoken as declared here; empty means every connection goes to {@code app}
     */
    public record Inbound(HostPort listen, HostPort app, Protocol appProtocol, Tls tls, List<InboundPort> ports) {
        public Inbound {
            listen = listen == null ? Defaults.INBOUND : listen;
            app = app == null ? Defaults.APP : app;
            appProtocol = appProtocol == null ? Protocol.HTTP : appProtocol;
            ports = ports == null ? List.of() : List.copyOf(ports);
        }

        public Inbound(HostPort listen, HostPort app, Protocol appProtocol, Tls tls) {
            this(listen, app, appProtocol, tls, null);
        }

        public Inbound(HostPort listen, HostPort app, Protocol appProtocol) {
            this(listen, app, appProtocol, null, null);
        }

        /** Whether connections are captured and sent on by their original destination port. */
        public boolean byOriginalPort() {
            return !ports.isEmpty();
        }
    }

    /**
     * One port of the pod's app, reached through the captured inbound listener.
     *
     * @param port     the port the app listens on (and callers dial)
     * @param protocol what it speaks: {@code http}, {@code http2}, {@code grpc} are parsed, {@code tcp} is relayed
     *                 opaquely (default {@code http})
     * @param name     the container port's name, for logs and metrics; optional
     */
    public record InboundPort(int port, Protocol protocol, String name) {
        public InboundPort {
            protocol = protocol == null ? Protocol.HTTP : protocol;
        }
    }

    /**
     * A server certificate for a listener.
     *
     * @param certificate PEM file with the certificate chain, leaf first
     * @param privateKey  PEM file with the leaf's private key (PKCS#8)
     */
    public record Tls(String certificate, String privateKey) {
        public Tls {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(privateKey, "privateKey");
        }
    }

    /**
     * @param capture   the transparent capture listener (iptables REDIRECT target), off unless enabled
     * @param upstreams explicit local listeners, one per called service
     */
    public record Outbound(Capture capture, List<Upstream> upstreams) {
        public Outbound {
            capture = capture == null ? Capture.disabled() : capture;
            upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
        }

        public static Outbound defaults() {
            return new Outbound(null, null);
        }
    }

    /** Transparent capture: the original destination (SO_ORIGINAL_DST) picks the service. */
    public record Capture(boolean enabled, HostPort listen) {
        public Capture {
            listen = listen == null ? Defaults.CAPTURE : listen;
        }

        public static Capture disabled() {
            return new Capture(false, null);
        }
    }

    /** {@code listen: 127.0.0.1:9001, service: payments.shop}: the app calls the listener, the proxy routes to the service. */
    public record Upstream(HostPort listen, String service) {
        public Upstream {
            Objects.requireNonNull(listen, "listen");
            Objects.requireNonNull(service, "service");
        }
    }

    /**
     * @param maxRequestLineBytes   longest request line accepted (longer: 414)
     * @param maxHeaderBytes        largest header block accepted (larger: 431)
     * @param maxConcurrentStreams  HTTP/2 streams per downstream connection
     * @param idleTimeout           downstream connection idle timeout
     * @param requestHeadersTimeout the whole request head must arrive within this (HTTP/1.1: 408 and close; HTTP/2:
     *                              the connection preface and each header block, else GOAWAY); 0 turns it off
     * @param maxHeaders            most header fields in a request head (more: 431)
     * @param pathNormalization     how request paths are made canonical before routing and authorization
     */
    public record Limits(int maxRequestLineBytes, int maxHeaderBytes, int maxConcurrentStreams, Duration idleTimeout,
                         Duration requestHeadersTimeout, int maxHeaders, PathNormalization pathNormalization) {
        public Limits {
            maxRequestLineBytes = maxRequestLineBytes <= 0 ? Defaults.MAX_REQUEST_LINE_BYTES : maxRequestLineBytes;
            maxHeaderBytes = maxHeaderBytes <= 0 ? Defaults.MAX_HEADER_BYTES : maxHeaderBytes;
            maxConcurrentStreams = maxConcurrentStreams <= 0 ? Defaults.MAX_CONCURRENT_STREAMS : maxConcurrentStreams;
            idleTimeout = idleTimeout == null ? Defaults.DOWNSTREAM_IDLE_TIMEOUT : idleTimeout;
            requestHeadersTimeout = requestHeadersTimeout == null ? Defaults.REQUEST_HEADERS_TIMEOUT
                    : requestHeadersTimeout;
            maxHeaders = maxHeaders <= 0 ? Defaults.MAX_HEADERS : maxHeaders;
            pathNormalization = pathNormalization == null ? PathNormalization.defaults() : pathNormalization;
        }

        public Limits(int maxRequestLineBytes, int maxHeaderBytes, int maxConcurrentStreams, Duration idleTimeout) {
            this(maxRequestLineBytes, maxHeaderBytes, maxConcurrentStreams, idleTimeout, null, 0, null);
        }

        public static Limits defaults() {
            return new Limits(0, 0, 0, null, null, 0, null);
        }
    }

    /**
     * Request path normalization (Envoy's {@code normalize_path}, {@code merge_slashes} and
     * {@code path_with_escaped_slashes_action}; Istio's {@code MERGE_SLASHES} level by default). Routes and
     * authorization policies match the normalized path, and it is what the app receives.
     *
     * @param mode           {@code normalize} (default): percent-encoded unreserved characters decoded, {@code \}
     *                       turned into {@code /}, {@code .} and {@code ..} segments resolved (RFC 3986 section
     *                       5.2.4; climbing above the root is a 400); {@code reject}: a path that is not already
     *                       normalized is a 400; {@code none}: matched and forwarded as received
     * @param mergeSlashes   runs of {@code /} become one (default true)
     * @param escapedSlashes what {@code %2F} and {@code %5C} do: {@code keep} (default, Istio's), {@code reject}
     *                       (400), or {@code decode} (to {@code /}, then normalized; Istio's
     *                       {@code DECODE_AND_MERGE_SLASHES})
     */
    public record PathNormalization(PathMode mode, Boolean mergeSlashes, EscapedSlashes escapedSlashes) {
        public PathNormalization {
            mode = mode == null ? PathMode.NORMALIZE : mode;
            mergeSlashes = mergeSlashes == null ? Boolean.TRUE : mergeSlashes;
            escapedSlashes = escapedSlashes == null ? EscapedSlashes.KEEP : escapedSlashes;
        }

        public static PathNormalization defaults() {
            return new PathNormalization(null, null, null);
        }
    }

    /** See {@link PathNormalization#mode()}. */
    public enum PathMode {
        NORMALIZE, REJECT, NONE
    }

    /** See {@link PathNormalization#escapedSlashes()}. */
    public enum EscapedSlashes {
        KEEP, REJECT, DECODE
    }
}
