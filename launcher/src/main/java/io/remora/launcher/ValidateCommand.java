package io.remora.launcher;

import io.remora.config.ConfigError;
import io.remora.config.ConfigException;
import io.remora.config.ConfigFiles;
import io.remora.config.ConfigLoader;
import io.remora.config.Snapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code remora validate FILE...}: loads config files exactly as the proxy would (environment overrides included,
 * relative paths resolved against each file's directory, the same size limit) and reports every error, one per
 * line, or a one-line summary (resources, and files read: a directory counts its YAML files) when the config is
 * valid. A config with neither a Sidecar nor a resource is an error, as the proxy refuses to start on it.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Check config files (and REMORA_* environment overrides) and print every error as"
                + " file:line:col: path: message. Exit status 0 when valid, 1 otherwise.")
public final class ValidateCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "YAML config files or directories (their *.yaml,"
            + " *.yml files); each file may hold several documents separated by ---")
    private List<Path> files;

    @Spec
    private CommandSpec spec;

    private final Map<String, String> env;

    /** Validates against the process environment. */
    public ValidateCommand() {
        this(System.getenv());
    }

    /** Validates against {@code env} instead of the process environment. */
    public ValidateCommand(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    @Override
    public Integer call() {
        try {
            Snapshot snapshot = ConfigLoader.load(files, env);
            int resources = (snapshot.sidecar() != null ? 1 : 0) + snapshot.services().size()
                    + snapshot.routes().size() + snapshot.authorizationPolicies().size();
            PrintWriter out = spec.commandLine().getOut();
            out.println("ok: " + resources + " resources in " + ConfigFiles.expand(files).size() + " file(s), version "
                    + snapshot.version());
            out.flush();
            return 0;
        } catch (ConfigException e) {
            PrintWriter err = spec.commandLine().getErr();
            for (ConfigError error : e.errors()) {
                err.println(error.format());
            }
            err.flush();
            return 1;
        }
    }
}
