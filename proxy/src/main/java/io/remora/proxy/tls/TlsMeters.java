package io.remora.proxy.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What mTLS looks like from outside: refused handshakes by direction and reason, plaintext connections the inbound
 * listener accepted in PERMISSIVE mode (zero for long enough means STRICT is safe), when the certificates in use
 * expire, and how requests for a certificate to the control plane went. Counters are created once per label set
 * and cached.
 */
public final class TlsMeters {
    private final MeterRegistry registry;
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();
    private final Map<String, Counter> certificateRequests = new ConcurrentHashMap<>();
    private final Counter plaintextAccepted;
    private final Counter plaintextRefused;
    private final Counter handshakes;

    public TlsMeters(MeterRegistry registry) {
        this.registry = registry;
        this.plaintextAccepted = Counter.builder("remora.mtls.plaintext.connections")
                .description("Plaintext connections the inbound listener accepted in PERMISSIVE mode")
                .register(registry);
        this.plaintextRefused = Counter.builder("remora.mtls.plaintext.refused")
                .description("Plaintext connections the inbound listener refused in STRICT mode")
                .register(registry);
        this.handshakes = Counter.builder("remora.mtls.handshakes")
                .description("Mutual TLS handshakes completed with a verified peer").register(registry);
    }

    public static TlsMeters unregistered() {
        return new TlsMeters(new SimpleMeterRegistry());
    }

    /** A refused handshake; {@code direction} is inbound or outbound, {@code reason} an SvidException label. */
    public void failure(String direction, String reason) {
        failures.computeIfAbsent(direction + '|' + reason, k -> Counter.builder("remora.mtls.handshake.failures")
                .description("Mutual TLS handshakes refused, by direction and reason")
                .tag("direction", direction).tag("reason", reason).register(registry)).increment();
    }

    /** A certificate request to the control plane's CA service: {@code issued}, {@code refused} or {@code failed}. */
    public void certificateRequest(String result) {
        certificateRequests.computeIfAbsent(result, k -> Counter.builder("remora.certificate.requests")
                .description("Workload certificate requests to the control plane, by result")
                .tag("result", result).register(registry)).increment();
    }

    public void handshake() {
        handshakes.increment();
    }

    public void plaintextAccepted() {
        plaintextAccepted.increment();
    }

    public void plaintextRefused() {
        plaintextRefused.increment();
    }

    /**
     * Exports when the certificates in use expire: the workload's SVID and the earliest root of the trust bundle,
     * read from {@code current} at scrape time, so a rotation shows at once.
     */
    public void expiries(Supplier<MeshTls> current) {
        expiry("workload", () -> current.get().svid().notAfter().getEpochSecond());
        expiry("root", () -> current.get().bundle().roots().stream()
                .mapToLong(r -> r.getNotAfter().toInstant().getEpochSecond()).min().orElse(0));
    }

    private void expiry(String certificate, Supplier<Number> epochSeconds) {
        // A gauge holds its object weakly; nothing else holds this supplier, so it must hold it strongly or the
        // gauge reads NaN after the first garbage collection.
        Gauge.builder("remora.cert.expiry.timestamp.seconds", epochSeconds, s -> s.get().doubleValue())
                .strongReference(true)
                .description("When a certificate in use expires (Unix seconds)")
                .tag("certificate", certificate).register(registry);
    }
}
