package io.remora.proxy;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigFiles;
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
 * with every error as {@code file:line:col}, and a count. A changed Sidecar is not applied (listeners, mTLS and
 * limits are bound at start): the running one is kept, said once with the restart it needs, and the services,
 * routes and policies of the same files still land. Whatever else goes wrong in a reload (a file the parser cannot
 * cope with, a defect) is counted and logged the same way, and the next change is loaded as usual: reloading never
 * stops.
 */
public final class ConfigFileWatcher implements AutoCloseable {
    private final List<Path> files;
    private final Map<String, String> env;
    private final ProxyServer server;
    private final ScheduledExecutorService watcher;
    private final KeepGoodLoader loader;
    private List<Object> stamps;
    /** The Sidecar change last reported as kept back, so it is said once, not at every reload. */
    private KeepGoodLoader.KeptSidecar keptReported;

    public ConfigFileWatcher(List<Path> files, Map<String, String> env, ProxyServer server, long checkMillis) {
        this.files = List.copyOf(files);
        this.env = Map.copyOf(env);
        this.server = server;
        this.stamps = stamps();
        this.loader = new KeepGoodLoader(this.files, this.env).keepSidecar(server.config().sidecarOrDefault());
        this.watcher = Daemons.scheduler("remora-config-watch");
        watcher.scheduleWithFixedDelay(this::checkNow, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    }

    /** Reloads when a file changed since the last check; never throws, so the scheduled checks go on. */
    public synchronized void checkNow() {
        try {
            List<Object> now = stamps();
            if (now.equals(stamps)) {
                return;
            }
            stamps = now;
            reload();
        } catch (VirtualMachineError e) {
            // Out of memory or stack in this reload: what it held is garbage once unwound to here, so the proxy
            // and the next reload go on. Logged without allocating a stack trace's text.
            server.configRejected();
            Log.warn("config_rejected", "errors", "the reload failed: " + e, "kept_version", server.configVersion());
        } catch (Throwable e) { // a defect in one reload must not end them all
            server.configRejected();
            Log.error("config_rejected", e, "errors", "the reload failed: " + e, "kept_version",
                    server.configVersion());
        }
    }

    private void reload() {
        KeepGoodLoader.Result result;
        try {
            result = loader.load(files, env);
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
        Snapshot next = result.snapshot();
        Snapshot running = server.config();
        KeepGoodLoader.KeptSidecar kept = result.keptSidecar();
        boolean resourcesChanged = !next.services().equals(running.services())
                || !next.routes().equals(running.routes())
                || !next.authorizationPolicies().equals(running.authorizationPolicies());
        if (kept != null && !kept.equals(keptReported)) {
            server.configRejected();
            Log.warn("config_rejected", "file", kept.file(),
                    "errors", kept.file() + ": the Sidecar " + (kept.wanted() == null ? "was removed" : "changed")
                            + "; listeners, mTLS and limits are set at start, so restart the proxy to use it",
                    "kept", "the running Sidecar " + running.sidecarOrDefault().metadata().qualifiedName() + "; "
                            + (resourcesChanged ? "the services, routes and policies of these files are applied"
                            : "the services, routes and policies are unchanged"));
        }
        keptReported = kept;
        if (kept != null && !resourcesChanged) {
            return; // only the Sidecar changed, and it is kept: nothing to apply
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
        for (Path f : ConfigFiles.expand(files)) {
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
