package io.remora.launcher;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.proxy.ConfigFileWatcher;
import io.remora.proxy.ProxyServer;
import io.remora.log.Log;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code remora proxy --config sidecar.yaml}: runs the sidecar until SIGTERM (drain) or /quitquitquit. */
@Command(name = "proxy", description = "Run the sidecar proxy from YAML config (files may hold several documents).")
final class ProxyCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, arity = "1..*", paramLabel = "FILE",
            description = "Config files or directories (their *.yaml, *.yml files): one Sidecar plus Services, Routes and"
                    + " AuthorizationPolicies. REMORA_* environment variables override Sidecar fields.")
    List<Path> config;

    @Option(names = "--watch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Reload the config files when they change (default; --no-watch turns it off):"
                    + " services, routes and policies apply without a restart, invalid files are refused and the"
                    + " running config kept.")
    boolean watch = true;

    @Override
    public Integer call() throws Exception {
        Log.bridgeJul();
        Snapshot snapshot;
        try {
            snapshot = ConfigLoader.load(config, System.getenv());
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                System.err.println(error.format());
            }
            return 1;
        }
        ProxyServer server = ProxyServer.start(snapshot);
        try (ConfigFileWatcher watcher = watch ? new ConfigFileWatcher(config, System.getenv(), server, 500) : null) {
            Signals.drainOnTermination(server);
            server.awaitTermination();
        }
        Log.flush();
        return 0;
    }
}
