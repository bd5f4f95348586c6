package io.remora.proxy;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.proxy.log.Log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reloads the config files of a running proxy when they change (checked every {@code checkMillis} on a thread of
 * its own, never an event loop): the new files are loaded and validated exactly as at start, then applied
 * ({@link ProxyServer#apply}). Invalid files are refused with every error as {@code file:line:col} in one log line
 * ({@code config_rejected}) and counted; the running config stays until the files are fixed.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    private final List<Path> files;
    private final Map<String, String> env;
    private final ProxyServer server;
    private final ScheduledExecutorService watcher;
    private List<Object> stamps;

    public ConfigFileWatcher(List<Path> files, Map<String, String> env, ProxyServer server, long checkMillis) {
        this.files = List.copyOf(files);
        this.env = Map.copyOf(env);
        this.server = server;
        this.stamps = stamps();
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "remora-config-watch");
            t.setDaemon(true);
            return t;
        });
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
            next = ConfigLoader.load(files, env);
        } catch (ConfigException e) {
            List<String> errors = new ArrayList<>();
            for (ConfigError error : e.errors()) {
                errors.add(error.format());
            }
            server.configRejected();
            Log.warn("config_rejected", "errors", String.join("\n", errors), "kept_version", server.configVersion());
            return;
        }
        try {
            server.apply(next);
        } catch (IllegalArgumentException e) {
            Log.warn("config_rejected", "errors", e.getMessage(), "kept_version", server.configVersion());
        }
    }

    private List<Object> stamps() {
        List<Object> out = new ArrayList<>();
        for (Path f : files) {
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
