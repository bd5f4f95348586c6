package io.remora.controlplane.mesh;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Content versions: the first 12 hex digits of a SHA-256, so equal content always has the same version. */
public final class Versions {
    private Versions() {
    }

    public static String of(String text) {
        return hex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    static String of(Map<ResourceKey, String> texts) {
        MessageDigest d = sha256();
        texts.forEach((k, v) -> {
            d.update(k.toString().getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(v.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
        });
        return hex(d.digest());
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest).substring(0, 12);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
