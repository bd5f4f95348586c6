package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@link SidecarLaunchLine} reads a line only as picocli reads it: every line it takes gives the command the options
 * picocli's parse of the same line gives; every other line (help, version, a mistake, a form it does not know) it
 * leaves to picocli. Lines are written with {@code |} between the arguments.
 */
class SidecarLaunchLineTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "proxy|--config|sidecar.yaml",
        "proxy|-c|sidecar.yaml",
        "proxy|--config|sidecar.yaml|mesh.yaml|conf.d",
        "proxy|--config|sidecar.yaml|--no-watch",
        "proxy|--no-watch|--config|sidecar.yaml",
        "proxy|--watch|-c|/etc/remora/sidecar.yaml",
        "proxy|--config|with space.yaml",
        "proxy|--kubernetes",
        "proxy|--kubernetes|--no-watch",
        "proxy|--watch|--kubernetes",
    })
    void takesTheLaunchLinesAsPicocliReadsThem(String line) {
        String[] args = line.split("\\|");

        ProxyCommand fast = SidecarLaunchLine.parse(args);
        ProxyCommand picocli = picocli(args);

        assertThat(fast).as(line).isNotNull();
        assertThat(fast.config).isEqualTo(picocli.config);
        assertThat(fast.kubernetes).isEqualTo(picocli.kubernetes);
        assertThat(fast.watch).isEqualTo(picocli.watch);
        assertThat(fast.spec).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "proxy",
        "proxy|--help",
        "proxy|-h",
        "proxy|--version",
        "proxy|-V",
        "proxy|--config",
        "proxy|--config|--no-watch",
        "proxy|--config=sidecar.yaml",
        "proxy|-csidecar.yaml",
        "proxy|@args.txt",
        "proxy|--config|@args.txt",
        "proxy|--config|a.yaml|--config|b.yaml",
        "proxy|--kubernetes|--config|a.yaml",
        "proxy|--kubernetes|--kubernetes",
        "proxy|--watch|--no-watch",
        "proxy|--config|a.yaml|--bogus",
        "proxy|--config|a.yaml|--",
        "proxy|--config|-",
        "proxy|--config|",
        "proxy|a.yaml",
        "proxy|--no-watch",
        "help|proxy",
        "demo",
        "validate|--config|a.yaml",
        "control-plane|--config-dir|mesh",
        "--version",
    })
    void leavesEveryOtherLineToPicocli(String line) {
        assertThat(SidecarLaunchLine.parse(line.split("\\|", -1))).as(line).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-h"})
    void leavesNoArgumentsAndOneArgumentToPicocli(String line) {
        String[] args = line.isEmpty() ? new String[0] : new String[] {line};
        assertThat(SidecarLaunchLine.parse(args)).isNull();
    }

    /** The command picocli's parse of {@code args} made and set (the one {@link Remora#main} used to run). */
    private static ProxyCommand picocli(String[] args) {
        CommandLine.ParseResult parsed = Remora.commandLine(args).parseArgs(args);
        return (ProxyCommand) parsed.subcommand().commandSpec().userObject();
    }
}
