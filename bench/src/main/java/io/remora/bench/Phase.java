package io.remora.bench;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Wall time and CPU time of a phase of the benchmark (possibly in several pieces): the control plane's by thread
 * name, the simulator's by thread name, and what the rest of the machine used meanwhile, so a slow phase can be
 * put down to the control plane, the simulated sidecars or another tenant of the machine.
 */
final class Phase {
    private final long cpPid;
    private final long simPid = ProcessHandle.current().pid();
    private final Map<String, Long> cp = new HashMap<>();
    private final Map<String, Long> sim = new HashMap<>();
    private long machineTicks;
    private long nanos;
    private Map<String, Long> cp0;
    private Map<String, Long> sim0;
    private long machine0;
    private long start;

    Phase(long cpPid) {
        this.cpPid = cpPid;
    }

    Phase start() {
        cp0 = ThreadCpu.ticks(cpPid);
        sim0 = ThreadCpu.ticks(simPid);
        machine0 = ThreadCpu.machineBusyTicks();
        start = System.nanoTime();
        return this;
    }

    Phase stop() {
        nanos += System.nanoTime() - start;
        machineTicks += ThreadCpu.machineBusyTicks() - machine0;
        ThreadCpu.delta(cp0, ThreadCpu.ticks(cpPid)).forEach((k, v) -> cp.merge(k, v, Long::sum));
        ThreadCpu.delta(sim0, ThreadCpu.ticks(simPid)).forEach((k, v) -> sim.merge(k, v, Long::sum));
        return this;
    }

    double seconds() {
        return nanos / 1e9;
    }

    /** Ticks the rest of the machine used. */
    long otherTicks() {
        return Math.max(0, machineTicks - total(cp) - total(sim));
    }

    /** One line: wall time, cores busy, control plane, simulator and other processes' CPU, top threads of each. */
    String describe() {
        long cpTicks = total(cp);
        long simTicks = total(sim);
        long other = Math.max(0, machineTicks - cpTicks - simTicks);
        double s = seconds();
        return String.format(Locale.ROOT, "%.1f s wall, %.1f cores busy; control plane %.2f s CPU (%s); simulator"
                        + " %.2f s CPU (%s); other processes %.2f s CPU (%.0f %% of a core)", s,
                machineTicks * ThreadCpu.TICK_MS / 1000.0 / s, cpTicks * ThreadCpu.TICK_MS / 1000.0, top(cp),
                simTicks * ThreadCpu.TICK_MS / 1000.0, top(sim), other * ThreadCpu.TICK_MS / 1000.0,
                100.0 * other * ThreadCpu.TICK_MS / 1000.0 / s);
    }

    private static long total(Map<String, Long> ticks) {
        return ticks.values().stream().mapToLong(Long::longValue).sum();
    }

    private static String top(Map<String, Long> ticks) {
        StringBuilder sb = new StringBuilder();
        ticks.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                        .append(e.getValue() * ThreadCpu.TICK_MS).append(" ms"));
        return sb.length() == 0 ? "-" : sb.toString();
    }
}
