package io.remora.launcher;

import io.remora.log.Log;
import io.remora.net.ListenFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code remora} command: one launcher for every part of the mesh.
 *
 * <p>Exit codes, the same for every command: 0 done (help and version included), 1 a runtime error (a file that
 * does not load, a port that cannot be had), 2 a usage error (an unknown option, a missing argument, no command).
 * Errors are one line on stderr naming the command, no stack trace; a usage error adds a line pointing at
 * {@code --help}. Help and version go to stdout. {@code -h/--help} and {@code -V/--version} are on every command
 * (inherited from this one), and {@code remora help COMMAND} shows a command's usage.
 */
@Command(name = "remora",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        versionProvider = Remora.Version.class,
        description = "Remora service mesh: sidecar proxy and tools.")
public final class Remora implements Callable<Integer> {
    /**
     * Every command, by its {@code @Command} name, in the order help lists them (made by the command line's factory,
     * as picocli makes the commands an annotation lists). Picocli reads a command's annotations,
     * and loads the classes its fields and methods name, when the command is added; {@link #commandLine(String...)}
     * adds only the one it is about to run, which took a tenth of a second off a sidecar's start. In a holder
     * class: loading the classes named here (picocli's among them) is not for the sidecar's launch line.
     */
    private static final class Commands {
        static final List<Map.Entry<String, Class<?>>> ALL = List.of(
                Map.entry("help", HelpCommand.class), Map.entry("proxy", ProxyCommand.class),
                Map.entry("control-plane", ControlPlaneCommand.class), Map.entry("demo", DemoCommand.class),
                Map.entry("validate", ValidateCommand.class), Map.entry("certs", CertsCommand.class),
                Map.entry("init", io.remora.launcher.init.InitCommand.class), Map.entry("wait", WaitCommand.class),
                Map.entry("inject", InjectCommand.class), Map.entry("injector", InjectorCommand.class),
                Map.entry("explain", ExplainCommand.class), Map.entry("tap", TapCommand.class),
                Map.entry("stat", StatCommand.class));

        private Commands() {
        }
    }

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // proxy and demo return once they have stopped (drained, quit); the exit code is the command's.
        System.exit(run(args));
    }

    /**
     * What {@link #main} runs: the sidecar's own launch lines ({@link SidecarLaunchLine}) without picocli, which on
     * a sidecar's start cost more than anything else before it is ready; every other line through picocli.
     */
    static int run(String... args) {
        ProxyCommand sidecar = SidecarLaunchLine.parse(args);
        return sidecar != null ? sidecar.launch() : commandLine(args).execute(args);
    }

    /** The whole command line, every command in it, with its error handling; tests run it in process. */
    static CommandLine commandLine() {
        return build(CommandLine.defaultFactory(), name -> true);
    }

    /**
     * The command line {@link #main} runs for {@code args}: when they start with a command's name, the root and that
     * command alone, which parse, help and fail as in the whole command line; otherwise (no command, an option, a
     * misspelt command to suggest another for, {@code help}) the whole command line.
     */
    static CommandLine commandLine(String... args) {
        return commandLine(CommandLine.defaultFactory(), args);
    }

    /** {@link #commandLine(String...)} with the commands made by {@code factory} (tests give one their input). */
    static CommandLine commandLine(CommandLine.IFactory factory, String... args) {
        String first = args.length > 0 ? args[0] : "";
        boolean one = !first.equals("help") && Commands.ALL.stream().anyMatch(c -> c.getKey().equals(first));
        return build(factory, one ? first::equals : name -> true);
    }

    private static CommandLine build(CommandLine.IFactory factory, Predicate<String> commands) {
        CommandLine cmd = new CommandLine(new Remora(), factory);
        for (Map.Entry<String, Class<?>> c : Commands.ALL) {
            if (commands.test(c.getKey())) {
                try {
                    cmd.addSubcommand(c.getKey(), new CommandLine(factory.create(c.getValue()), factory));
                } catch (Exception e) {
                    throw new CommandLine.InitializationException("cannot make the command " + c.getKey(), e);
                }
            }
        }
        // After the commands: picocli hands these to the subcommands present when they are set.
        return cmd.setParameterExceptionHandler(Remora::usageError)
                .setExecutionExceptionHandler(Remora::runtimeError);
    }

    /** {@code remora} alone: which command? */
    @Override
    public Integer call() {
        return missingCommand(spec);
    }

    /** A command that only groups others, run without one: its usage on stderr, exit 2. */
    static int missingCommand(CommandSpec spec) {
        CommandLine cmd = spec.commandLine();
        cmd.usage(cmd.getErr());
        cmd.getErr().flush();
        return spec.exitCodeOnInvalidInput();
    }

    /**
     * A usage error: one line with picocli's reason, one pointing at the command's help (and at what was probably
     * meant, for a misspelt option or command).
     */
    static int usageError(ParameterException error, String[] args) {
        CommandLine cmd = error.getCommandLine();
        // picocli checks required arguments before it complains of unknown ones; the unknown one is the mistake.
        ParameterException e = error instanceof UnmatchedArgumentException || cmd.getUnmatchedArguments().isEmpty()
                ? error : new UnmatchedArgumentException(cmd, cmd.getUnmatchedArguments());
        String name = cmd.getCommandSpec().qualifiedName();
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + e.getMessage());
        String hint = "See '" + name + " --help'.";
        if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            hint = "Did you mean " + String.join(" or ", u.getSuggestions()) + "? " + hint;
        }
        err.println(hint);
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * A runtime error the user can act on is one line and exit 1; anything else is a bug, and picocli prints its
     * stack trace (exit 1 too).
     */
    static int runtimeError(Exception e, CommandLine cmd, ParseResult parsed) throws Exception {
        if (e instanceof ListenFailure f) {
            return fail(cmd, f.getMessage());
        }
        throw e;
    }

    /** {@code remora proxy: <message>} on stderr; exit status 1. */
    static int fail(CommandLine cmd, String message) {
        Log.flush();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + message);
        err.flush();
        return cmd.getCommandSpec().exitCodeOnExecutionException();
    }

    /** {@code remora <version>}: the project version the build wrote into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {
        static final String RESOURCE = "version.properties";

        @Override
        public String[] getVersion() throws IOException {
            return new String[] {"remora " + version()};
        }

        static String version() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Remora.class.getResourceAsStream(RESOURCE)) {
                if (in != null) {
                    p.load(in);
                }
            }
            String v = p.getProperty("version");
            return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v;
        }
    }
}
