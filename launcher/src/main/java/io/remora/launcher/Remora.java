package io.remora.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code remora} command: one launcher for every part of the mesh. */
@Command(name = "remora",
        mixinStandardHelpOptions = true,
        versionProvider = Remora.Version.class,
        description = "Remora service mesh: sidecar proxy and tools.",
        subcommands = {ProxyCommand.class, ControlPlaneCommand.class, DemoCommand.class, ValidateCommand.class,
                CertsCommand.class, InjectCommand.class, InjectorCommand.class, WaitCommand.class})
public final class Remora implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // proxy and demo return once they have stopped (drained, quit); the exit code is the command's.
        System.exit(new CommandLine(new Remora()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Remora.class.getPackage().getImplementationVersion();
            return new String[] {"remora " + (v == null ? "dev" : v)};
        }
    }
}
