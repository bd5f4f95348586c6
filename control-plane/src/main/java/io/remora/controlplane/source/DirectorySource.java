package io.remora.controlplane.source;

import io.remora.config.ConfigError;
import io.remora.config.ConfigFiles;
import io.remora.log.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The embedded default source: the YAML files of a directory (and its name order), checked every
 * {@code checkMillis} for a file added, removed or changed (size or modification time), so edits land within a
 * second. Polling a handful of stat calls is cheaper than a watch service and works on every file system, bind
 * mounts and ConfigMaps included (whose files change by symlink swap). A directory that is missing or a file that
 * cannot be read delivers nothing (the mesh as last read stays), never an empty mesh. A file over the size limit
 * ({@link ConfigFiles#read}) is not read: it is delivered as unreadable, so the control plane rejects it alone (its
 * last good content stays) while the other files' changes land. Nothing that goes wrong in a check stops the
 * checks: it is logged ({@code config_rejected}) and the next change is delivered as usual.
 */
public final class DirectorySource implements MeshSource {
    private final List<Path> paths;
    private final Clock clock;
    private final long checkMillis;
    private final ScheduledExecutorService scheduler;
    private final int maxFileSize;
    /** What the last delivery saw; null before the first, which is always delivered (an empty directory too). */
    private Map<Path, String> seen;
    private Listener listener;
    /** Why the last check delivered nothing, logged once per reason. */
    private String skipped;
    /** Why the last check failed, logged once per reason. */
    private String failed;

    public DirectorySource(List<Path> paths, Clock clock, long checkMillis) {
        this(paths, clock, checkMillis, System.getenv());
    }

    /** @param env where the file size limit ({@value ConfigFiles#MAX_FILE_SIZE_VARIABLE}) is read from */
    public DirectorySource(List<Path> paths, Clock clock, long checkMillis, Map<String, String> env) {
        List<ConfigError> errors = new ArrayList<>();
        this.maxFileSize = ConfigFiles.maxFileSize(env, errors);
        errors.forEach(e -> Log.warn("config_env_invalid", "errors", e.format(),
                "using", ConfigFiles.MAX_FILE_SIZE_VARIABLE + "=" + maxFileSize));
        this.paths = List.copyOf(paths);
        this.clock = clock;
        this.checkMillis = checkMillis;
        this.scheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "remora-cp-directory");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String name() {
        return "directory";
    }

    @Override
    public void start(Listener listener) {
        this.listener = Objects.requireNonNull(listener);
        check();
        scheduler.scheduleWithFixedDelay(this::check, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    }

    private synchronized void check() {
        try {
            Map<Path, String> now = new LinkedHashMap<>();
            for (Path f : ConfigFiles.expand(paths)) {
                now.put(f, stamp(f));
            }
            if (now.equals(seen)) {
                return;
            }
            for (Path p : paths) {
                if (!Files.isReadable(p)) {
                    // A directory being swapped, or a remount: delivering nothing would take every service away.
                    skip(p + " does not exist or cannot be read");
                    return;
                }
            }
            Map<String, byte[]> origins = new LinkedHashMap<>();
            Map<String, List<ConfigError>> unreadable = new LinkedHashMap<>();
            for (Path f : now.keySet()) {
                try {
                    origins.put(f.toString(), ConfigFiles.read(f, maxFileSize));
                } catch (ConfigFiles.TooLargeException e) {
                    unreadable.put(f.toString(), List.of(new ConfigError(f.toString(), 0, 0, "", e.getMessage())));
                } catch (IOException e) {
                    // Gone or unreadable between listing and reading: deliver nothing now, look again next time.
                    skip(f + ": " + e.getMessage());
                    return;
                }
            }
            seen = now;
            skipped = null;
            failed = null;
            listener.changed(new SourceContent(name(), origins, clock.instant(), unreadable));
        } catch (Throwable e) { // out of memory, a defect: this check is lost, the next one runs as usual
            String why = "the directory check failed: " + e;
            if (!why.equals(failed)) {
                Log.warn("config_rejected", "source", name(), "errors", why, "paths", paths.toString(),
                        "kept", "the mesh as last read");
                failed = why;
            }
        }
    }

    private void skip(String why) {
        if (!why.equals(skipped)) {
            Log.warn("directory_unreadable", "reason", why, "kept", "the mesh as last read");
            skipped = why;
        }
    }

    private static String stamp(Path f) {
        try {
            return Files.size(f) + "@" + Files.getLastModifiedTime(f); // full precision: a same-size edit in the same millisecond counts
        } catch (IOException e) {
            return "unreadable";
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
