package io.remora.proxy.controlplane;

import io.remora.config.ConfigException;
import io.remora.config.Sidecar;
import io.remora.config.Snapshot;
import io.remora.log.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The last snapshot the sidecar applied from the control plane, kept as {@code <stateDir>/last-known-good.yaml}: its
 * version in a first-line comment, then the resources exactly as pushed. A sidecar that starts while the control
 * plane is unreachable serves from it at once (and tells the control plane the version in its hello) instead of
 * refusing traffic until the control plane is back. Replaced atomically, so a crash leaves the old file or the new.
 */
public final class LastKnownGood {
    public static final String FILE = "last-known-good.yaml";
    static final String HEADER = "# remora last-known-good version: ";

    private final Path file;

    public LastKnownGood(Path stateDir) {
        this.file = stateDir.resolve(FILE);
    }

    public Path path() {
        return file;
    }

    /** Keeps {@code resources} as the last-known-good, version {@code version} (one line, no line breaks). */
    public void save(String version, String resources) throws IOException {
        StateFiles.write(file, HEADER + version + "\n" + resources, false);
    }

    /**
     * The kept snapshot for {@code sidecar}, validated as at the time it was pushed; null when there is none or it no
     * longer loads (logged with every error, {@code file:line:col}).
     */
    public Snapshot load(Sidecar sidecar) {
        if (!Files.exists(file)) {
            return null;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            Log.warn("last_known_good_unusable", "file", file.toString(), "error", e.toString());
            return null;
        }
        int eol = text.indexOf('\n');
        String first = eol < 0 ? text : text.substring(0, eol);
        String version = first.startsWith(HEADER) ? first.substring(HEADER.length()).strip() : "";
        if (version.isEmpty()) {
            Log.warn("last_known_good_unusable", "file", file.toString(),
                    "error", "the first line is not '" + HEADER + "<version>'");
            return null;
        }
        try {
            // The whole text, header included, so error lines are the file's own.
            return ControlPlaneResources.snapshot(file.toString(), version, text, sidecar);
        } catch (ConfigException e) {
            Log.warn("last_known_good_unusable", "file", file.toString(), "version", version, "error", e.getMessage());
            return null;
        }
    }
}
