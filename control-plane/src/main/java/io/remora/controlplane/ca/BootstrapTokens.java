package io.remora.controlplane.ca;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Bootstrap tokens of local mode: a file with one line per workload, {@code <namespace>/<serviceAccount> <token>}
 * ({@code #} starts a comment). A token proves the workload on its line. The file is read again when it changes, so
 * workloads can be added while the control plane runs. Tokens are kept as SHA-256 digests only.
 */
public final class BootstrapTokens implements CredentialVerifier {
    private final Path file;
    private FileTime readAt;
    private Map<String, Workload> byDigest = Map.of();

    public BootstrapTokens(Path file) {
        this.file = file;
        reload();
    }

    /** Appends a line for a workload with a fresh random token to {@code file}; returns the token. */
    public static String add(Path file, String namespace, String serviceAccount) throws IOException {
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        Files.writeString(file, namespace + "/" + serviceAccount + " " + token + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        return token;
    }

    @Override
    public synchronized Workload verify(String token) throws Refused {
        reload();
        Workload w = byDigest.get(digest(token.trim()));
        if (w == null) {
            throw new Refused("the bootstrap token is not one of " + file + " (" + byDigest.size()
                    + " known); expected the token written there for this workload");
        }
        return w;
    }

    private synchronized void reload() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            if (modified.equals(readAt)) {
                return;
            }
            Map<String, Workload> next = new HashMap<>();
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\\s+");
                String[] who = parts[0].split("/");
                if (parts.length != 2 || who.length != 2 || who[0].isEmpty() || who[1].isEmpty()) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ":1: got \"" + line
                            + "\", expected <namespace>/<serviceAccount> <token>");
                }
                next.put(digest(parts[1]), new Workload(who[0], who[1]));
            }
            byDigest = next;
            readAt = modified;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the bootstrap tokens: " + e.getMessage(), e);
        }
    }

    private static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
