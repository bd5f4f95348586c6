package io.remora.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Memory of another JVM (the control plane), as the OS and the JVM itself see it: {@code VmRSS}/{@code VmHWM} from
 * {@code /proc/<pid>/status}, heap and metaspace in use from {@code jstat -gc}, and a full GC with
 * {@code jcmd <pid> GC.run} so that "heap used" means live objects.
 */
final class ProcessMemory {
    /** @param rssKb VmRSS, @param hwmKb VmHWM, @param heapUsedKb S0U+S1U+EU+OU, @param metaspaceUsedKb MU */
    record Sample(long rssKb, long hwmKb, long heapUsedKb, long heapCommittedKb, long metaspaceUsedKb) {
    }

    private final long pid;

    ProcessMemory(long pid) {
        this.pid = pid;
    }

    /** Full GC in the target, then a moment for the allocator and the OS to settle, then a sample. */
    Sample settledSample() throws IOException, InterruptedException {
        run("jcmd", Long.toString(pid), "GC.run");
        Thread.sleep(1000);
        return sample();
    }

    Sample sample() throws IOException, InterruptedException {
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8);
        long rss = statusKb(status, "VmRSS:");
        long hwm = statusKb(status, "VmHWM:");
        // jstat -gc: a header line and a value line, columns by name (their set differs between collectors).
        String[] lines = run("jstat", "-gc", Long.toString(pid)).strip().split("\n");
        String[] names = lines[0].trim().split("\\s+");
        String[] values = lines[lines.length - 1].trim().split("\\s+");
        double used = 0;
        double committed = 0;
        double metaspace = 0;
        for (int i = 0; i < names.length && i < values.length; i++) {
            if (!values[i].matches("[0-9.]+")) {
                continue; // "-": a column this collector does not have
            }
            double v = Double.parseDouble(values[i]);
            switch (names[i]) {
                case "S0U", "S1U", "EU", "OU" -> used += v;
                case "S0C", "S1C", "EC", "OC" -> committed += v;
                case "MU" -> metaspace = v;
                default -> { }
            }
        }
        return new Sample(rss, hwm, Math.round(used), Math.round(committed), Math.round(metaspace));
    }

    /**
     * For {@code --diagnose}: saves {@code jcmd} outputs about the target as {@code <prefix>-<what>.txt} in
     * {@code dir}: the class histogram (live objects) and, when the target runs with
     * {@code -XX:NativeMemoryTracking}, its native memory summary. Failures are written in place of the output.
     */
    void dump(Path dir, String prefix) throws InterruptedException, IOException {
        Files.createDirectories(dir);
        for (String[] c : new String[][] {{"histogram", "GC.class_histogram"}, {"nmt", "VM.native_memory", "summary"}}) {
            String[] command = new String[c.length + 1];
            command[0] = "jcmd";
            command[1] = Long.toString(pid);
            System.arraycopy(c, 1, command, 2, c.length - 1);
            String out;
            try {
                out = run(command);
            } catch (IOException e) {
                out = e.getMessage();
            }
            Files.writeString(dir.resolve(prefix + "-" + c[0] + ".txt"), out, StandardCharsets.UTF_8);
        }
    }

    /** {@code jcmd <pid> ARGS...}, for JFR.start / JFR.stop in {@code --diagnose} runs. */
    void jcmd(String... args) throws IOException, InterruptedException {
        String[] command = new String[args.length + 2];
        command[0] = "jcmd";
        command[1] = Long.toString(pid);
        System.arraycopy(args, 0, command, 2, args.length);
        run(command);
    }

    private static long statusKb(List<String> status, String field) {
        for (String line : status) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/<pid>/status");
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
        return out;
    }
}
