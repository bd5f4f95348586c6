package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code remora} command line as {@link Remora#main} runs it: every command and subcommand has {@code -h/--help}
 * (usage on stdout, exit 0) and {@code -V/--version}; {@code remora help CMD} works; usage errors are one line and a
 * hint on stderr with exit 2; runtime errors exit 1.
 */
class RemoraCliTest {
    @TempDir
    Path dir;

    private StringWriter out;
    private StringWriter err;

    private int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = Remora.commandLine(args);
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    /** Every command below {@code remora} as its words ({@code [certs, issue]}), the help command left out. */
    private static List<List<String>> commands() {
        List<List<String>> all = new ArrayList<>();
        collect(Remora.commandLine(), List.of(), all);
        return all;
    }

    private static void collect(CommandLine cmd, List<String> path, List<List<String>> all) {
        cmd.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> p = Stream.concat(path.stream(), Stream.of(name)).toList();
                all.add(p);
                collect(sub, p, all);
            }
        });
    }

    private static String[] args(List<String> path, String... more) {
        return Stream.concat(path.stream(), Stream.of(more)).toArray(String[]::new);
    }

    private List<String> errLines() {
        return err.toString().lines().toList();
    }

    @Test
    void mainBuildsOnlyTheCommandItRuns() {
        assertThat(Remora.commandLine("proxy", "--config", "x.yaml").getSubcommands()).containsOnlyKeys("proxy");
        assertThat(Remora.commandLine("certs", "issue").getSubcommands()).containsOnlyKeys("certs");
        for (String[] whole : List.of(new String[0], new String[] {"help", "proxy"}, new String[] {"prxy"},
                new String[] {"--version"})) {
            assertThat(Remora.commandLine(whole).getSubcommands()).containsOnlyKeys(
                    Remora.commandLine().getSubcommands().keySet());
        }
    }

    @Test
    void theCommandsAreTheOnesDocumented() {
        assertThat(commands()).extracting(p -> String.join(" ", p)).containsExactlyInAnyOrder("proxy",
                "control-plane", "control-plane token", "demo", "validate", "certs", "certs root", "certs issue",
                "certs inspect", "init", "wait", "inject", "injector", "explain", "tap", "stat");
    }

    @Test
    void everyCommandHasHelpOnStdoutAndExitsZero() {
        for (List<String> path : commands()) {
            for (String flag : List.of("--help", "-h")) {
                String name = "remora " + String.join(" ", path);
                assertThat(run(args(path, flag))).as("%s %s: %s", name, flag, err).isZero();
                assertThat(out.toString()).as("%s %s", name, flag).startsWith("Usage: " + name + " ")
                        .contains("-h, --help").contains("-V, --version");
                assertThat(err.toString()).as("%s %s", name, flag).isEmpty();
            }
        }
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).startsWith("Usage: remora ").contains("  help  ").contains("  demo  ");
    }

    @Test
    void helpCommandShowsAnyCommandsUsage() {
        for (List<String> path : commands()) {
            if (path.size() == 1) {
                assertThat(run("help", path.get(0))).as("help %s: %s", path, err).isZero();
                assertThat(out.toString()).startsWith("Usage: remora " + path.get(0) + " ");
                assertThat(err.toString()).isEmpty();
            }
        }
        assertThat(run("help")).isZero();
        assertThat(out.toString()).startsWith("Usage: remora ");
    }

    @Test
    void noCommandPrintsUsageOnStderrAndExitsTwo() {
        assertThat(run()).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).startsWith("Usage: remora ").contains("Commands:").contains("proxy");

        assertThat(run("certs")).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).startsWith("Usage: remora certs ").contains("inspect");
    }

    @Test
    void anUnknownOptionIsOneLineAndAHintAndExitsTwoForEveryCommand() {
        List<List<String>> all = new ArrayList<>(commands());
        all.add(List.of());
        for (List<String> path : all) {
            String name = String.join(" ", Stream.concat(Stream.of("remora"), path.stream()).toList());
            assertThat(run(args(path, "--no-such-option"))).as("%s: %s", name, err).isEqualTo(2);
            assertThat(out.toString()).as(name).isEmpty();
            assertThat(errLines()).as(name).containsExactly(name + ": Unknown option: '--no-such-option'",
                    "See '" + name + " --help'.");
        }
    }

    @Test
    void aMisspeltOptionOrCommandGetsASuggestion() {
        assertThat(run("demo", "--inbund-port")).isEqualTo(2);
        assertThat(errLines()).hasSize(2);
        assertThat(errLines().get(0)).isEqualTo("remora demo: Unknown option: '--inbund-port'");
        assertThat(errLines().get(1)).startsWith("Did you mean --inbound-port").endsWith("? See 'remora demo --help'.");

        assertThat(run("prxy")).isEqualTo(2);
        assertThat(errLines()).hasSize(2);
        assertThat(errLines().get(0)).isEqualTo("remora: Unmatched argument at index 0: 'prxy'");
        assertThat(errLines().get(1)).isEqualTo("Did you mean proxy? See 'remora --help'.");
    }

    @Test
    void aCommandsOwnUsageErrorsAreOneLineAndAHint() {
        assertThat(run("proxy")).isEqualTo(2);
        assertThat(errLines()).containsExactly("remora proxy: give either --config FILE... or --kubernetes",
                "See 'remora proxy --help'.");

        assertThat(run("control-plane")).isEqualTo(2);
        assertThat(errLines()).containsExactly("remora control-plane: give --config-dir DIR, --kubernetes, or both",
                "See 'remora control-plane --help'.");

        assertThat(run("control-plane", "--config-dir", dir.toString(), "--listen", "15010")).isEqualTo(2);
        assertThat(errLines()).containsExactly("remora control-plane: --listen: expected host:port (e.g."
                + " 127.0.0.1:9001), got \"15010\"", "See 'remora control-plane --help'.");

        assertThat(run("control-plane", "token", "web")).isEqualTo(2);
        assertThat(errLines()).containsExactly("remora control-plane token: got \"web\", expected"
                + " <namespace>/<serviceAccount>", "See 'remora control-plane token --help'.");

        assertThat(run("validate")).isEqualTo(2);
        assertThat(errLines()).containsExactly("remora validate: Missing required parameter: 'FILE'",
                "See 'remora validate --help'.");
    }

    @Test
    void versionIsTheProjectVersionOnStdout() {
        String expected = "remora " + System.getProperty("remora.version");
        assertThat(System.getProperty("remora.version")).as("set by the build").isNotBlank();
        for (String flag : List.of("--version", "-V")) {
            assertThat(run(flag)).isZero();
            assertThat(out.toString()).isEqualTo(expected + System.lineSeparator());
            assertThat(err.toString()).isEmpty();
        }
        assertThat(run("proxy", "--version")).isZero();
        assertThat(out.toString()).isEqualTo(expected + System.lineSeparator());
    }

    @Test
    void runtimeErrorsStillExitOne() {
        String missing = dir.resolve("missing.yaml").toString();
        assertThat(run("validate", missing)).isEqualTo(1);
        assertThat(err.toString()).contains("missing.yaml");
        assertThat(run("proxy", "--config", missing)).isEqualTo(1);
    }
}
