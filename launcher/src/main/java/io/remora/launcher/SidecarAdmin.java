package io.remora.launcher;

import io.remora.config.HostPort;
import picocli.CommandLine;

import java.io.IOException;

/** What the commands that talk to a running sidecar's admin port ({@code explain}, {@code tap}) share. */
final class SidecarAdmin {
    private SidecarAdmin() {
    }

    /** The {@code --admin} value as an address; a usage error (exit 2) naming the option when it is not one. */
    static HostPort address(CommandLine cmd, String text) {
        try {
            return HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cmd, "--admin: " + e.getMessage());
        }
    }

    /** The one line (exit 1) for an admin that did not answer. */
    static int unreachable(CommandLine cmd, HostPort admin, IOException e) {
        return Remora.fail(cmd, "cannot reach the sidecar's admin at " + admin + " (" + e.getClass().getSimpleName()
                + "); is it running? Name its admin address with --admin");
    }
}
