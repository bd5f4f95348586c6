package io.remora.certs;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** A fixed point in time for certificate tests. */
final class Fixtures {
    static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private Fixtures() {
    }
}
