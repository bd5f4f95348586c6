package io.remora.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of a process per thread name, from {@code /proc/<pid>/task/<tid>/stat} (utime + stime, clock ticks of
 * 10 ms). Thread names are cut to 15 characters by the kernel; numbered pool threads are summed under one name
 * ({@code grpc-default-wo}, {@code remora-cp-push}, ...). A poor man's profile: which thread did the work.
 */
final class ThreadCpu {
    static final long TICK_MS = 10;

    private ThreadCpu() {
    }

    /** Ticks by thread name (digits at the end of a name dropped, so pools add up). */
    static Map<String, Long> ticks(long pid) {
        Map<String, Long> out = new HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    String name = stat.substring(open + 1, close).replaceAll("[-#]?\\d+$", "");
                    String[] f = stat.substring(close + 2).split(" ");
                    // after "pid (comm) ": state is f[0]; utime and stime are fields 14 and 15 of the whole line
                    long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    out.merge(name, t, Long::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we read
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }

    /** Busy ticks of the whole machine since boot (user, nice, system, irq, softirq, steal of /proc/stat). */
    static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]) + Long.parseLong(f[8]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** {@code after - before}, by name, positive entries only. */
    static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> out = new HashMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 0) {
                out.put(k, d);
            }
        });
        return out;
    }
}
