package io.remora.proxy.controlplane;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.remora.protocol.DiscoveryRequest;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the control-plane connection looks like from outside, for people ({@code /config_dump}'s
 * {@code control_plane} section) and for Prometheus: {@code remora_control_plane_connected} (0/1),
 * {@code remora_control_plane_last_contact_seconds} (Unix time of the last message; 0 before any), and
 * {@code remora_control_plane_snapshots_total{result="ack|nack"}}. Written by the client's thread, read by any.
 */
public final class ControlPlaneStatus {
    /** A refused snapshot, as the NACK told the control plane. */
    private record Nack(String refusedVersion, String nonce, DiscoveryRequest.Reason reason, String detail,
                        Instant at) {
    }

    private final String address;
    private final Path lastKnownGood;
    private final Clock clock;
    private final Counter acks;
    private final Counter nacks;
    private volatile boolean connected;
    private volatile Instant lastContact;
    private volatile String lastNonce = "";
    private volatile Nack lastNack;

    public ControlPlaneStatus(String address, Path lastKnownGood, Clock clock, MeterRegistry registry) {
        this.address = address;
        this.lastKnownGood = lastKnownGood;
        this.clock = clock;
        Gauge.builder("remora.control_plane.connected", this, s -> s.connected ? 1 : 0)
                .description("1 while the subscription to the control plane is open and answered, else 0")
                .register(registry);
        Gauge.builder("remora.control_plane.last_contact.seconds", this,
                        s -> s.lastContact == null ? 0 : s.lastContact.getEpochSecond())
                .description("When the control plane last sent a message (Unix seconds; 0 before any)")
                .register(registry);
        this.acks = snapshots(registry, "ack");
        this.nacks = snapshots(registry, "nack");
    }

    private static Counter snapshots(MeterRegistry registry, String result) {
        return Counter.builder("remora.control_plane.snapshots")
                .description("Snapshots from the control plane, by answer: ack (applied) or nack (refused)")
                .tag("result", result).register(registry);
    }

    public boolean connected() {
        return connected;
    }

    /** When the control plane last sent a message; null before any. */
    public Instant lastContact() {
        return lastContact;
    }

    void connected(boolean now) {
        connected = now;
    }

    /** A message arrived from the control plane. */
    void contact(String nonce) {
        lastContact = clock.instant();
        lastNonce = nonce == null ? "" : nonce;
    }

    void acked() {
        acks.increment();
    }

    /** A snapshot of version {@code refusedVersion} was refused. */
    void nacked(String refusedVersion, String nonce, DiscoveryRequest.Reason reason, String detail) {
        nacks.increment();
        lastNack = new Nack(refusedVersion, nonce, reason, detail, clock.instant());
    }

    /** The {@code control_plane} section of {@code /config_dump}. */
    public Map<String, Object> dump(String runningVersion) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", address);
        m.put("connected", connected);
        m.put("version", runningVersion);
        m.put("last_nonce", lastNonce);
        Instant contact = lastContact;
        m.put("last_contact", contact == null ? null : contact.toString());
        Nack nack = lastNack;
        if (nack != null) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("refused_version", nack.refusedVersion());
            n.put("nonce", nack.nonce());
            n.put("reason", nack.reason().name());
            n.put("detail", nack.detail());
            n.put("at", nack.at().toString());
            m.put("last_nack", n);
        }
        m.put("acks", (long) acks.count());
        m.put("nacks", (long) nacks.count());
        m.put("last_known_good", lastKnownGood.toString());
        return m;
    }
}
