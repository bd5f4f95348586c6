package io.remora.proxy;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.KeepGoodLoader;
import io.remora.config.Snapshot;
import io.remora.log.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reloads the config files of a running proxy when they change (checked every {@code checkMillis} on a thread of
 * its own, never an event loop): the files are loaded and validated as at start, then applied
 * ({@link ProxyServer#apply}). A file with errors is rejected alone ({@link KeepGoodLoader}): its last good content
 * stays in use while valid changes in the other files land; each rejection is one log line ({@code config_rejected})
 * with every error as {@code file:line:col}, and a count.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    private final List<Path> files;
    private final Map<String, String> env;
    private final ProxyServer server;
    private final ScheduledExecutorService watcher;
    private final KeepGoodLoader loader;
    private List<Object> stamps;

    public ConfigFileWatcher(List<Path> files, Map<String, String> env, ProxyServer server, long checkMillis) {
        this.files = List.copyOf(files);
        this.env = Map.copyOf(env);
        this.server = server;
        this.stamps = stamps();
        this.loader = new KeepGoodLoader(this.files);
        this.watcher = Daemons.scheduler("remora-config-watch");
        watcher.scheduleWithFixedDelay(this::checkNow, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    }

    /** Reloads when a file changed since the last check. */
    public synchronized void checkNow() {
        List<Object> now = stamps();
        if (now.equals(stamps)) {
            return;
        }
        stamps = now;
        Snapshot next;
        try {
            KeepGoodLoader.Result result = loader.load(files, env);
            next = result.snapshot();
            result.rejected().forEach((file, errors) -> {
                server.configRejected();
                Log.warn("config_rejected", "file", file, "errors", format(errors),
                        "kept", "its last good content, if it had one");
            });
        } catch (ConfigException e) {
            server.configRejected();
            Log.warn("config_rejected", "errors", format(e.errors()), "kept_version", server.configVersion());
            return;
        }
        try {
            server.apply(next);
        } catch (IllegalArgumentException e) {
            Log.warn("config_rejected", "errors", e.getMessage(), "kept_version", server.configVersion());
        }
    }

    private static String format(List<ConfigError> errors) {
        List<String> lines = new ArrayList<>(errors.size());
        for (ConfigError error : errors) {
            lines.add(error.format());
        }
        return String.join("\n", lines);
    }

    private List<Object> stamps() {
        List<Object> out = new ArrayList<>();
        // A directory is listed again each time: a file added or removed there is a change too.
        for (Path f : io.remora.config.ConfigFiles.expand(files)) {
            out.add(f);
            try {
                out.add(Files.getLastModifiedTime(f));
                out.add(Files.size(f));
            } catch (IOException e) {
                out.add("missing");
            }
        }
        return out;
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
