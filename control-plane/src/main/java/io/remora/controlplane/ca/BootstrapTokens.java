package io.remora.controlplane.ca;

import io.remora.log.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bootstrap tokens of local mode: a file with one line per workload, {@code <namespace>/<serviceAccount> <token>}
 * ({@code #} starts a comment). A token proves the workload on its line. The file is read again when it changes
 * (size or modification time), so workloads can be added while the control plane runs; a change that does not
 * parse is logged with {@code file:line:col} and the tokens read before stay in use. In memory tokens are kept as
 * SHA-256 digests only; the file is created readable by its owner alone, and a file others can read is warned
 * about.
 */
public final class BootstrapTokens implements CredentialVerifier {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private final Path file;
    private String readStamp;
    private Map<String, Workload> byDigest = Map.of();

    /** @throws IllegalArgumentException when the file cannot be read or a line does not parse (at start) */
    public BootstrapTokens(Path file) {
        this.file = file;
        String problem = reload();
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        warnIfReadableByOthers(file);
    }

    /** Creates an empty tokens file readable by its owner alone, unless it exists. */
    public static void create(Path file) throws IOException {
        if (!Files.exists(file)) {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, "# <namespace>/<serviceAccount> <token>, one line per workload\n",
                    StandardCharsets.UTF_8);
            ownerOnly(file);
        }
    }

    /** Appends a line for a workload with a fresh random token to {@code file}; returns the token. */
    public static String add(Path file, String namespace, String serviceAccount) throws IOException {
        create(file);
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        String token = HexFormat.of().formatHex(random);
        Files.writeString(file, namespace + "/" + serviceAccount + " " + token + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        return token;
    }

    @Override
    public synchronized Workload verify(String token) throws Refused {
        String problem = reload();
        if (problem != null) {
            Log.error("bootstrap_tokens_unreadable", null, "file", file.toString(), "error", problem,
                    "kept", byDigest.size() + " tokens read before");
        }
        Workload w = byDigest.get(digest(token.trim()));
        if (w == null) {
            throw new Refused("the bootstrap token is not known to the control plane; expected the token written"
                    + " for this workload", "not one of " + file + ", " + byDigest.size() + " known");
        }
        return w;
    }

    /** Reads the file if it changed; returns what is wrong with it (the tokens read before stay), or null. */
    private synchronized String reload() {
        try {
            String stamp = Files.size(file) + "@" + Files.getLastModifiedTime(file);
            if (stamp.equals(readStamp)) {
                return null;
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
                    return file + ":" + (i + 1) + ":1: got a line of " + parts.length + " field(s), expected"
                            + " <namespace>/<serviceAccount> <token>";
                }
                next.put(digest(parts[1]), new Workload(who[0], who[1]));
            }
            byDigest = next;
            readStamp = stamp;
            return null;
        } catch (IOException e) {
            return file + ": cannot read the bootstrap tokens: " + e.getMessage();
        }
    }

    private static void ownerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system: nothing to set.
        }
    }

    private static void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                Log.warn("bootstrap_tokens_readable_by_others", "file", file.toString(),
                        "permissions", PosixFilePermissions.toString(p), "expected", "rw-------");
            }
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system.
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
