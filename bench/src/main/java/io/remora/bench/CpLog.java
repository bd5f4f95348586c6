package io.remora.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the control plane's JSON log for when it built a new mesh ({@code "event":"mesh_changed"}), to split a
 * route change's convergence into "file written → mesh built" (directory poll, parse, validate) and the push after
 * it. Wall-clock milliseconds, the log's precision.
 */
final class CpLog {
    private static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]+)\"");

    private CpLog() {
    }

    /** Time of the first {@code mesh_changed} at or after {@code sinceMillis}, or null. */
    static Long lastMeshChanged(Path log, long sinceMillis) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        Long found = null;
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            if (!line.contains("\"event\":\"mesh_changed\"")) {
                continue;
            }
            Matcher m = TIME.matcher(line);
            if (!m.find()) {
                continue;
            }
            long at = Instant.parse(m.group(1)).toEpochMilli();
            if (at < sinceMillis) {
                break;
            }
            found = at;
        }
        return found;
    }
}
