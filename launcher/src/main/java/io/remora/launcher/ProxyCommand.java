package io.remora.launcher;

import io.remora.certs.CertificateException;
import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import io.remora.proxy.ConfigFileWatcher;
import io.remora.proxy.ConfigSource;
import io.remora.proxy.ProxyServer;
import io.remora.log.Log;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code remora proxy --config sidecar.yaml}: runs the sidecar until SIGTERM (drain) or /quitquitquit. */
@Command(name = "proxy", description = "Run the sidecar proxy from YAML config (files may hold several documents).")
final class ProxyCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, arity = "1..*", paramLabel = "FILE",
            description = "Config files or directories (their *.yaml, *.yml files): one Sidecar plus Services, Routes and"
                    + " AuthorizationPolicies (with spec.controlPlane, only the Sidecar: the control plane pushes the"
                    + " rest). REMORA_* environment variables override Sidecar fields.")
    List<Path> config;

    @Option(names = "--watch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Reload the config files when they change (default; --no-watch turns it off):"
                    + " services, routes and policies apply without a restart, invalid files are refused and the"
                    + " running config kept. Off when the Sidecar names a controlPlane, which pushes them.")
    boolean watch = true;

    @Option(names = "--kubernetes", description = "Run as the sidecar of an injected pod: the Sidecar is built from the"
            + " environment the injector sets (POD_NAMESPACE, REMORA_WORKLOAD, REMORA_INBOUND_PORTS, the"
            + " REMORA_CONTROL_PLANE_* variables...), the rest comes from the control plane. Instead of --config.")
    boolean kubernetes;

    /** Set by picocli when it runs the command; null when {@link SidecarLaunchLine} read the line. */
    @Spec
    CommandSpec spec;

    /**
     * Runs the command read by {@link SidecarLaunchLine} as picocli would run it: its exit code; a runtime error the
     * user can act on as one line, exit 1; anything else a stack trace, exit 1.
     */
    int launch() {
        try {
            return call();
        } catch (Exception e) {
            CommandLine cmd = commandLine();
            try {
                return Remora.runtimeError(e, cmd, null);
            } catch (Exception bug) {
                bug.printStackTrace(cmd.getErr());
                cmd.getErr().flush();
                return cmd.getCommandSpec().exitCodeOnExecutionException();
            }
        }
    }

    /** Picocli's command line for this command's messages, when {@link SidecarLaunchLine} read the line. */
    private CommandLine messages;

    /** Where messages go and what they are prefixed with: picocli's command line, made once if picocli did not run. */
    private CommandLine commandLine() {
        if (spec != null) {
            return spec.commandLine();
        }
        if (messages == null) {
            messages = Remora.commandLine("proxy").getSubcommands().get("proxy");
        }
        return messages;
    }

    /**
     * @throws io.remora.net.ListenFailure when a listener cannot be bound: {@link Remora} prints it as one line and
     *                                     exits 1, the listeners already bound closed
     */
    @Override
    public Integer call() throws Exception {
        Log.bridgeJul();
        if (kubernetes == (config != null)) {
            throw new ParameterException(commandLine(), "give either --config FILE... or --kubernetes");
        }
        Snapshot snapshot;
        try {
            snapshot = kubernetes
                    ? ConfigLoader.parse("pod environment", PodSidecar.yaml(System.getenv()),
                            PodSidecar.overrides(System.getenv()))
                    : ConfigLoader.load(config, System.getenv());
        } catch (PodSidecar.EnvironmentException e) {
            return Remora.fail(commandLine(), e.getMessage());
        } catch (ConfigException e) {
            for (ConfigError error : e.errors()) {
                commandLine().getErr().println(error.format());
            }
            commandLine().getErr().flush();
            return 1;
        }
        io.remora.proxy.admin.AppProbes probes;
        try {
            probes = kubernetes ? io.remora.proxy.admin.AppProbes.parse(System.getenv("REMORA_APP_PROBES"))
                    : io.remora.proxy.admin.AppProbes.none();
        } catch (IllegalArgumentException e) {
            return Remora.fail(commandLine(), e.getMessage());
        }
        // Reloaded in static mode only: with a control plane the files hold only the Sidecar, and the proxy leaves
        // them be (it closes this watcher unstarted).
        ConfigSource files = watch && !kubernetes ? new ConfigFileWatcher(config, System.getenv(), 500)
                : ConfigSource.none();
        ProxyServer server;
        try {
            server = ProxyServer.start(snapshot, probes, files);
        } catch (CertificateException e) {
            // No usable workload certificate (files, local CA, or the control plane refused or is unreachable).
            return Remora.fail(commandLine(), e.getMessage());
        }
        Signals.drainOnTermination(server);
        server.awaitTermination();
        Log.flush();
        return 0;
    }
}
