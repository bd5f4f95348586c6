package io.remora.launcher;

import io.remora.config.Durations;
import io.remora.config.HostPort;
import io.remora.launcher.stat.ControlPlaneStats;
import io.remora.launcher.stat.Stats;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code remora stat}: the golden signals of each service a sidecar talks to (requests per second, success rate,
 * p50/p95/p99 latency, mTLS share), from two scrapes of its metrics port, refreshed in the terminal as
 * {@code linkerd viz stat} does, or printed once with {@code --once}. With {@code --control-plane}, the whole
 * mesh's from the control plane's view: one row per source workload and service version, with each version's share
 * of the source's requests ({@link ControlPlaneStats}).
 */
@Command(name = "stat", description = "Show per-service success rate, request rate, latency and mTLS share from a "
        + "sidecar's metrics, or per source and service version from the control plane's, refreshed.")
public final class StatCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--metrics", defaultValue = "127.0.0.1:15020",
            description = "The sidecar's metrics address (default: ${DEFAULT-VALUE}).")
    String metrics;

    @Option(names = "--control-plane", paramLabel = "ADDR",
            description = "The control plane's admin address (e.g. 127.0.0.1:15014): show the whole mesh as it sees "
                    + "it, instead of one sidecar's metrics.")
    String controlPlane;

    @Option(names = "--interval", defaultValue = "2s",
            description = "Time between the scrapes a table is computed from (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--once", description = "Print one table and exit, instead of refreshing until interrupted.")
    boolean once;

    @Override
    public Integer call() throws InterruptedException {
        HostPort hp;
        Duration every;
        try {
            hp = HostPort.parse(metrics);
            every = Durations.parse(interval);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (controlPlane != null) {
            try {
                HostPort.parse(controlPlane);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--control-plane: " + e.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean terminal = System.console() != null && !once;
        if (controlPlane != null) {
            return fromControlPlane(out, every, terminal);
        }
        Stats stats = new Stats(hp);
        try {
            String before = stats.scrape();
            while (true) {
                long start = System.nanoTime();
                Thread.sleep(every.toMillis());
                String after = stats.scrape();
                double seconds = (System.nanoTime() - start) / 1e9;
                if (terminal) {
                    // Clear the screen and go home, as top does.
                    out.print("\u001b[H\u001b[2J");
                }
                out.print(Stats.table(before, after, seconds));
                out.flush();
                if (once) {
                    return 0;
                }
                before = after;
            }
        } catch (IOException e) {
            return Remora.fail(spec.commandLine(), "cannot scrape the sidecar's metrics at " + hp + " ("
                    + e.getClass().getSimpleName() + "); is it running? Name its metrics address with --metrics");
        }
    }

    /** The control plane computes the rates over its own window: each refresh is one read of its data. */
    private int fromControlPlane(PrintWriter out, Duration every, boolean terminal) throws InterruptedException {
        HostPort admin = HostPort.parse(controlPlane);
        ControlPlaneStats stats = new ControlPlaneStats(admin);
        try {
            while (true) {
                String table = ControlPlaneStats.table(stats.fetch());
                if (terminal) {
                    out.print("\u001b[H\u001b[2J");
                }
                out.print(table);
                out.flush();
                if (once) {
                    return 0;
                }
                Thread.sleep(every.toMillis());
            }
        } catch (IOException e) {
            return Remora.fail(spec.commandLine(), "cannot read the control plane's dashboard data at " + admin + " ("
                    + e.getClass().getSimpleName() + "); is it running? Name its admin address with --control-plane");
        }
    }
}
