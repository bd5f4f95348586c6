package io.remora.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pushes, encoded with the resources JSON-escaped once per distinct snapshot: a control plane sends the same
 * snapshot (the same String) to many sidecars, and only the version and nonce differ from one to the next. Recent
 * snapshots are kept up to a bound in bytes (the String and its encoding each count); the String's cached hash
 * makes the lookup cheap.
 */
final class ResponseMarshaller extends JsonMarshaller<DiscoveryResponse> {
    /** At most this many encoded bytes are kept (about a mesh's worth of distinct snapshots); then all are dropped. */
    private static final long KEPT_BYTES = 8L << 20;
    private final ConcurrentHashMap<String, byte[]> encoded = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong keptBytes = new java.util.concurrent.atomic.AtomicLong();

    ResponseMarshaller() {
        super(DiscoveryResponse.class);
    }

    @Override
    public InputStream stream(DiscoveryResponse value) {
        if (value.resources() == null) {
            return super.stream(value);
        }
        try {
            byte[] resources = encoded.get(value.resources());
            if (resources == null) {
                resources = mapper().writeValueAsBytes(value.resources());
                if (keptBytes.addAndGet(2L * resources.length) > KEPT_BYTES) {
                    encoded.clear(); // superseded snapshots go with the rest; the current ones are encoded again
                    keptBytes.set(2L * resources.length);
                }
                encoded.put(value.resources(), resources);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(resources.length + 96);
            out.write("{\"version\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(mapper().writeValueAsBytes(value.version()));
            out.write(",\"nonce\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(mapper().writeValueAsBytes(value.nonce()));
            out.write(",\"resources\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(resources);
            out.write('}');
            return new ByteArrayInputStream(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
