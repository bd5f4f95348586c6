package io.remora.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pushes, encoded with the resources JSON-escaped once per distinct snapshot: a control plane sends the same
 * snapshot (the same String) to many sidecars, and only the version and nonce differ from one to the next. A few
 * recent snapshots are kept; the String's cached hash makes the lookup cheap.
 */
final class ResponseMarshaller extends JsonMarshaller<DiscoveryResponse> {
    private static final int KEPT = 64;
    private final ConcurrentHashMap<String, byte[]> encoded = new ConcurrentHashMap<>();

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
                if (encoded.size() >= KEPT) {
                    encoded.clear();
                }
                resources = mapper().writeValueAsBytes(value.resources());
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
