package io.remora.certs;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** What a person wants to know about a certificate, one {@code name: value} line each. */
public final class CertificateInfo {
    private CertificateInfo() {
    }

    public static List<String> describe(X509Certificate c, Instant now) {
        List<String> lines = new ArrayList<>();
        List<String> uris = X509Svids.uriSans(c);
        lines.add("subject: " + (c.getSubjectX500Principal().getName().isEmpty() ? "(empty)"
                : c.getSubjectX500Principal().getName()));
        lines.add("issuer: " + c.getIssuerX500Principal().getName());
        lines.add("spiffe id: " + (uris.isEmpty() ? "(none)" : String.join(", ", uris)));
        lines.add("ca: " + (c.getBasicConstraints() >= 0));
        lines.add("serial: " + HexFormat.of().formatHex(c.getSerialNumber().toByteArray()));
        lines.add("not before: " + c.getNotBefore().toInstant());
        lines.add("not after: " + c.getNotAfter().toInstant());
        lines.add("status: " + status(c, now));
        return lines;
    }

    private static String status(X509Certificate c, Instant now) {
        Instant notBefore = c.getNotBefore().toInstant();
        Instant notAfter = c.getNotAfter().toInstant();
        if (now.isBefore(notBefore)) {
            return "not yet valid (starts in " + human(Duration.between(now, notBefore)) + ")";
        }
        if (now.isAfter(notAfter)) {
            return "EXPIRED " + human(Duration.between(notAfter, now)) + " ago";
        }
        return "valid, expires in " + human(Duration.between(now, notAfter));
    }

    static String human(Duration d) {
        long days = d.toDays();
        if (days >= 2) {
            return days + " days";
        }
        long hours = d.toHours();
        if (hours >= 1) {
            return hours + "h" + (d.toMinutesPart() > 0 ? " " + d.toMinutesPart() + "m" : "");
        }
        return Math.max(0, d.toMinutes()) + "m";
    }
}
