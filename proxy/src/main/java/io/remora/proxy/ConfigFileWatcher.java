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
 * Static mode's {@link ConfigSource}: reloads the config files of a running proxy when they change (checked every
 * {@code checkMillis} on a thread of its own, never an event loop): the files are loaded and validated as at start,
 * then applied ({@link ConfigTarget#apply}). A file with errors is rejected alone ({@link KeepGoodLoader}): its last
 * good content stays in use while valid changes in the other files land; each rejection is one log line
 * ({@code config_rejected}) with every error as {@code file:line:col}, and a count. A changed Sidecar is not applied
 * (listeners, mTLS and limits are bound at start): the running one is kept, said once with the restart it needs, and
 * the services, routes and policies of the same files still land. Whatever else goes wrong in a reload (a file the
 * parser cannot cope with, a defect) is counted and logged the same way, and the next change is loaded as usual:
 * reloading never stops.
 */
public final class ConfigFileWatcher implements ConfigSource {
    private final List<Path> files;
    private final Map<String, String> env;
    private final long checkMillis;
    /** Its thread starts with the first check, so a watcher that is never started has none. */
    private final ScheduledExecutorService watcher = Daemons.scheduler("remora-config-watch");
    /** Set by {@link #start}. */
    private ConfigTarget proxy;
    private KeepGoodLoader loader;
    private List<Object> stamps;
    /** The Sidecar change last reported as kept back, so it is said once, not at every reload. */
    private KeepGoodLoader.KeptSidecar keptReported;

    /**
     * @param files       the files and directories the proxy's config was loaded from
     * @param env         the environment overrides it was loaded with
     * @param checkMillis how often the files are looked at once started
     */
    public ConfigFileWatcher(List<Path> files, Map<String, String> env, long checkMillis) {
        this.files = List.copyOf(files);
        this.env = Map.copyOf(env);
        this.checkMillis = checkMillis;
    }

    @Override
    public String name() {
        return "files";
    }

    /** The files as they are now count as what the proxy runs (it has just loaded them); changes from here on land. */
    @Override
    public synchronized void start(ConfigTarget target) {
        this.proxy = target;
        this.stamps = stamps();
        this.loader = new KeepGoodLoader(files, env).keepSidecar(target.sidecar());
        watcher.scheduleWithFixedDelay(this::checkNow, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    }

    /** Reloads when a file changed since the last check; never throws, so the scheduled checks go on. */
    private synchronized void checkNow() {
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
            proxy.rejected();
            Log.warn("config_rejected", "errors", "the reload failed: " + e, "kept_version", proxy.runningVersion());
        } catch (Throwable e) { // a defect in one reload must not end them all
            proxy.rejected();
            Log.error("config_rejected", e, "errors", "the reload failed: " + e, "kept_version",
                    proxy.runningVersion());
        }
    }

    private void reload() {
        KeepGoodLoader.Result result;
        try {
            result = loader.load(files, env);
            result.rejected().forEach((file, errors) -> {
                proxy.rejected();
                Log.warn("config_rejected", "file", file, "errors", format(errors),
                        "kept", "its last good content, if it had one");
            });
        } catch (ConfigException e) {
            proxy.rejected();
            Log.warn("config_rejected", "errors", format(e.errors()), "kept_version", proxy.runningVersion());
            return;
        }
        Snapshot next = result.snapshot();
        Snapshot running = proxy.running();
        KeepGoodLoader.KeptSidecar kept = result.keptSidecar();
        boolean resourcesChanged = !next.services().equals(running.services())
                || !next.routes().equals(running.routes())
                || !next.authorizationPolicies().equals(running.authorizationPolicies());
        if (kept != null && !kept.equals(keptReported)) {
            proxy.rejected();
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
            proxy.apply(next);
        } catch (IllegalArgumentException e) {
            Log.warn("config_rejected", "errors", e.getMessage(), "kept_version", proxy.runningVersion());
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
