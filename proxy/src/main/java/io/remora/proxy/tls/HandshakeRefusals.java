package io.remora.proxy.tls;

import io.remora.log.Log;
import io.remora.log.LogRate;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Inbound mTLS refusals (an untrusted, expired or missing client certificate, plaintext to STRICT): any peer can
 * cause them, so each is counted ({@code remora_mtls_handshake_failures_total{direction="inbound",reason}}) and at
 * most one line per second is logged ({@code mtls_handshake_refused}, with {@code suppressed}: the refusals since
 * the previous line that were only counted). Never a stack trace.
 */
public final class HandshakeRefusals {
    private final TlsMeters meters;
    private final LogRate rate;

    public HandshakeRefusals(TlsMeters meters, LongSupplier nanoTime) {
        this.meters = meters;
        this.rate = new LogRate(Duration.ofSeconds(1), nanoTime);
    }

    /**
     * @param seen the identity the peer presented; null when none
     */
    public void inbound(Object peer, String reason, String seen, String error) {
        meters.failure("inbound", reason);
        long suppressed = rate.admit();
        if (suppressed >= 0) {
            Log.warn("mtls_handshake_refused", "direction", "inbound", "peer", String.valueOf(peer),
                    "reason", reason, "seen", seen == null ? "none" : seen, "expected", "an SVID of the trust bundle",
                    "error", error, "suppressed", suppressed);
        }
    }
}
