package io.remora.proxy.tls;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.remora.certs.X509Svids;
import io.remora.config.MtlsMode;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/** {@code GET /certs}: the mTLS mode and every certificate in use, with what is needed to act before expiry. */
public final class CertsDump {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CertsDump() {
    }

    public static String json(MtlsMode mode, MeshTls tls, Instant now) {
        ObjectNode root = JSON.createObjectNode();
        root.put("mtls", mode.name());
        root.put("spiffe_id", tls.svid().id().toString());
        root.put("trust_domain", tls.bundle().trustDomain());
        ArrayNode certs = root.putArray("certificates");
        certs.add(describe("workload", tls.svid().leaf(), now));
        for (X509Certificate c : tls.svid().intermediates()) {
            certs.add(describe("intermediate", c, now));
        }
        for (X509Certificate c : tls.bundle().roots()) {
            certs.add(describe("root", c, now));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode describe(String role, X509Certificate c, Instant now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("role", role);
        n.put("subject", c.getSubjectX500Principal().getName());
        n.put("uri_sans", String.join(",", X509Svids.uriSans(c)));
        n.put("serial", HexFormat.of().formatHex(c.getSerialNumber().toByteArray()));
        n.put("not_before", c.getNotBefore().toInstant().toString());
        n.put("not_after", c.getNotAfter().toInstant().toString());
        n.put("seconds_until_expiration", Duration.between(now, c.getNotAfter().toInstant()).toSeconds());
        return n;
    }
}
