package io.remora.proxy.tracing;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.remora.config.Defaults;
import io.remora.config.Sidecar;
import io.remora.proxy.ProxyEnvironment;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Tracing for one proxy (the Sidecar's {@code tracing} block): the request path starts a span for each HTTP request
 * ({@link #startServer} inbound, {@link #startClient} outbound) from the context the request arrived with, and
 * the span writes this hop's context into the request forwarded and is exported when it ends.
 *
 * <p>Sampling is parent-based ({@link SamplingPolicy}): a caller's decision is kept; a request with no context
 * starts a trace with the configured probability, and gets no context at all when it is not sampled (its headers
 * pass untouched, nothing is allocated: at 1 % sampling 99 requests in 100 cost only the header lookups). A request
 * whose caller decided not to sample it, and whose trace headers are well formed, is forwarded with its headers as
 * they came and costs two small objects (under 100 bytes); a malformed or deferred context that is not sampled is
 * replaced by a well-formed one marked not sampled.
 *
 * <p>Export: the OpenTelemetry SDK's batch processor on its own thread, posting OTLP/HTTP protobuf with the JDK's
 * {@code HttpClient}. Ending a span never waits: a span that finds {@code maxQueueSize} spans waiting is dropped, and
 * a batch the collector does not take (unreachable, slow past the timeout, refusing) is not retried; both are
 * counted in {@code remora_tracing_spans_dropped_total}. What the collector took is counted in
 * {@code remora_tracing_spans_exported_total}.
 *
 * <p>Off (no collector, or sampling 0): every start returns {@link RequestSpan#NONE} before reading anything, so
 * tracing costs a field read per request and allocates nothing; trace headers pass through untouched.
 */
public final class Tracing implements AutoCloseable {
    private static final Tracing OFF = new Tracing();
    private static final String INSTRUMENTATION = "io.remora.proxy";

    private final boolean enabled;
    private final Tracer tracer;
    private final SdkTracerProvider provider;
    private final SamplingPolicy sampling;
    private final RandomIds ids;
    private final SpanBacklog backlog;
    private final ProxyEnvironment environment;
    private final String principal;
    private final Duration exportTimeout;

    private Tracing() {
        enabled = false;
        tracer = null;
        provider = null;
        sampling = null;
        ids = null;
        backlog = null;
        environment = null;
        principal = null;
        exportTimeout = Duration.ZERO;
    }

    /**
     * @param serviceName   {@code service.name} of the spans: {@code workload.namespace}, as Istio names a workload
     * @param principal     this workload's SPIFFE ID, or null without mTLS
     * @param exporter      where batches go (OTLP/HTTP in production)
     * @param exportTimeout longest one export may take before its batch is given up
     */
    Tracing(Sidecar.Tracing config, String serviceName, String principal, SpanExporter exporter,
            Duration exportTimeout, PrometheusMeterRegistry registry, ProxyEnvironment environment) {
        this.enabled = true;
        this.principal = principal;
        this.environment = environment;
        this.exportTimeout = exportTimeout;
        this.sampling = new SamplingPolicy(config.sampling(), environment.randomness());
        this.ids = new RandomIds(environment.randomness());
        this.backlog = new SpanBacklog(config.maxQueueSize());
        // No meter provider anywhere: the SDK's default reaches for GlobalOpenTelemetry, a JVM-wide static.
        BatchSpanProcessor batch = BatchSpanProcessor.builder(new CountingSpanExporter(exporter, backlog))
                .setMaxQueueSize(config.maxQueueSize())
                .setMaxExportBatchSize(config.maxBatchSize())
                .setScheduleDelay(config.batchInterval())
                .setExporterTimeout(exportTimeout)
                .setMeterProvider(MeterProvider.noop())
                .build();
        this.provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(SpanAttributes.SERVICE_NAME, serviceName))))
                .setSampler(Sampler.alwaysOn()) // the decision is SamplingPolicy's; only sampled spans reach the SDK
                .setIdGenerator(ids)
                .setMeterProvider(MeterProvider::noop)
                .addSpanProcessor(new BoundedSpanProcessor(batch, backlog))
                .build();
        this.tracer = provider.get(INSTRUMENTATION);
        // The counters read the backlog through a weak reference; this Tracing holds it as long as the proxy runs.
        FunctionCounter.builder("remora.tracing.spans.dropped", backlog, SpanBacklog::dropped)
                .description("Spans not exported: the export queue was full, or the collector did not take them")
                .register(registry);
        FunctionCounter.builder("remora.tracing.spans.exported", backlog, SpanBacklog::exported)
                .description("Spans the collector took")
                .register(registry);
    }

    /** Tracing off: every span is {@link RequestSpan#NONE}. */
    public static Tracing off() {
        return OFF;
    }

    /**
     * The tracing of the proxy that runs {@code sidecar}: off unless its {@code tracing} block names a collector and
     * samples above 0; else exporting to {@code tracing.collector} over OTLP/HTTP and counting in {@code registry}.
     *
     * @param principal this workload's SPIFFE ID (recorded as the proxy's side of each span), null without mTLS
     */
    public static Tracing create(Sidecar sidecar, String principal, PrometheusMeterRegistry registry,
                                 ProxyEnvironment environment) {
        Sidecar.Tracing config = sidecar.spec().tracing();
        if (!config.enabled()) {
            return OFF;
        }
        Duration timeout = Defaults.TRACING_EXPORT_TIMEOUT;
        return new Tracing(config, sidecar.workload() + "." + sidecar.metadata().namespace(), principal,
                otlp(config.tracesEndpoint(), timeout), timeout, registry, environment);
    }

    /**
     * The OTLP/HTTP (protobuf) exporter to {@code endpoint}, over the JDK's {@code HttpClient}: one request per batch,
     * connecting and answering within {@code timeout}, never retried (a failed batch is dropped and counted rather
     * than kept while the queue fills behind it).
     */
    static SpanExporter otlp(String endpoint, Duration timeout) {
        return OtlpHttpSpanExporter.builder()
                .setEndpoint(endpoint)
                .setTimeout(timeout)
                .setConnectTimeout(timeout)
                .setRetryPolicy(null)
                .setMeterProvider(MeterProvider.noop())
                .build();
    }

    /** Whether spans are made at all. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * Starts the SERVER span of an inbound request (from another sidecar or a client, to the local app).
     *
     * @param requestHeaders  the request's headers as they arrived (read only)
     * @param method          the request's method
     * @param authority       the authority the caller called ({@code host:port}), or null
     * @param path            the request's path (its query is not recorded)
     * @param protocolVersion {@code 1.0}, {@code 1.1} or {@code 2}
     * @param startNanos      when the request started, on the proxy's ticker
     * @return {@link RequestSpan#NONE} when tracing is off or the request passes through untouched
     */
    public RequestSpan startServer(HttpHeaders requestHeaders, String method, String authority, String path,
                                   String protocolVersion, long startNanos) {
        if (!enabled) {
            return RequestSpan.NONE;
        }
        return start(SpanKind.SERVER, requestHeaders, method, authority, path, protocolVersion, startNanos);
    }

    /**
     * Starts the CLIENT span of an outbound request (from the local app to a service); as {@link #startServer}.
     *
     * @param authority the service the app called ({@code payments.shop:8080})
     */
    public RequestSpan startClient(HttpHeaders requestHeaders, String method, String authority, String path,
                                   String protocolVersion, long startNanos) {
        if (!enabled) {
            return RequestSpan.NONE;
        }
        return start(SpanKind.CLIENT, requestHeaders, method, authority, path, protocolVersion, startNanos);
    }

    /** The span of a request as its direction makes it: CLIENT outbound, SERVER inbound. */
    public RequestSpan start(boolean outbound, HttpHeaders requestHeaders, String method, String authority,
                             String path, String protocolVersion, long startNanos) {
        if (!enabled) {
            return RequestSpan.NONE;
        }
        return start(outbound ? SpanKind.CLIENT : SpanKind.SERVER, requestHeaders, method, authority, path,
                protocolVersion, startNanos);
    }

    private RequestSpan start(SpanKind kind, HttpHeaders headers, String method, String authority, String path,
                              String protocolVersion, long startNanos) {
        TraceContext incoming = TraceHeaders.extract(headers);
        TraceContext.Decision decision = sampling.decide(incoming);
        int formats = TraceHeaders.formatsFor(incoming);
        boolean keepTracestate = TraceHeaders.keepsTracestate(incoming);
        boolean continued = incoming != null && incoming.hasIds();
        if (!decision.sampled()) {
            if (incoming == null) {
                // No context came and sampling says no: the request gets none, and costs nothing more.
                return RequestSpan.NONE;
            }
            if (incoming.clean() && incoming.decision() != TraceContext.Decision.DEFERRED) {
                return RequestSpan.NONE; // the caller's "not sampled", forwarded as it came
            }
            return continued
                    ? new UnsampledSpan(incoming.traceIdHigh(), incoming.traceIdLow(), incoming.spanId(), formats,
                    keepTracestate)
                    : new UnsampledSpan(ids.next(), ids.next(), ids.next(), formats, keepTracestate);
        }
        long startEpochNanos = epochNanos(startNanos);
        boolean known = SpanAttributes.knownMethod(method);
        SpanBuilder builder = tracer.spanBuilder(known ? method : "HTTP")
                .setSpanKind(kind)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAttribute(SpanAttributes.HTTP_REQUEST_METHOD, known ? method : SpanAttributes.OTHER)
                .setAttribute(SpanAttributes.URL_PATH, SpanAttributes.path(path))
                .setAttribute(SpanAttributes.NETWORK_PROTOCOL_VERSION, protocolVersion);
        if (!known && method != null) {
            builder.setAttribute(SpanAttributes.HTTP_REQUEST_METHOD_ORIGINAL, method);
        }
        String host = SpanAttributes.host(authority);
        if (host != null) {
            builder.setAttribute(SpanAttributes.SERVER_ADDRESS, host);
        }
        int port = SpanAttributes.port(authority);
        if (port > 0) {
            builder.setAttribute(SpanAttributes.SERVER_PORT, (long) port);
        }
        if (principal != null) {
            builder.setAttribute(kind == SpanKind.SERVER ? SpanAttributes.DESTINATION_PRINCIPAL
                    : SpanAttributes.SOURCE_PRINCIPAL, principal);
        }
        if (continued) {
            builder.setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(
                    TraceId.fromLongs(incoming.traceIdHigh(), incoming.traceIdLow()),
                    SpanId.fromLong(incoming.spanId()), TraceFlags.getSampled(), TraceState.getDefault()))));
        } else {
            builder.setNoParent();
        }
        return new RecordedSpan(builder.startSpan(), kind == SpanKind.SERVER, startNanos, startEpochNanos,
                continued ? incoming.spanId() : 0, decision, formats, keepTracestate);
    }

    /** The wall-clock time of {@code tickerNanos}, a moment just past: now on the clock, less the ticker since. */
    private long epochNanos(long tickerNanos) {
        Instant now = environment.clock().instant();
        long elapsed = environment.ticker().nanoTime() - tickerNanos;
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano() - elapsed;
    }

    /** Spans dropped so far (what {@code remora_tracing_spans_dropped_total} reads). */
    public long droppedSpans() {
        return backlog == null ? 0 : backlog.dropped();
    }

    /**
     * Sends what is queued and stops the exporter, waiting at most the export timeout; spans ended afterwards are
     * not exported. Call it when the proxy stops, after its last request.
     */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(exportTimeout.toNanos(), TimeUnit.NANOSECONDS);
        }
    }
}
