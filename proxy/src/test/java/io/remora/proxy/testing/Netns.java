package io.remora.proxy.testing;

import io.remora.config.testing.Eventually;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A network namespace a test creates and deletes, standing in for a pod: commands and JVM processes run inside it,
 * as root or as an ordinary user. Creating one needs root; a test that needs one fails with the reason when it
 * cannot have it (CI runs as root), rather than skipping.
 */
public final class Netns implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    public static final Duration CMD_TIMEOUT = Duration.ofSeconds(20);

    private final String name;
    private final List<Proc> processes = new ArrayList<>();

    private Netns(String name) {
        this.name = name;
    }

    /** A new namespace with loopback up. */
    public static Netns create(String hint) {
        String name = "remora-" + hint + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        CommandLine.Result add = CommandLine.run(CMD_TIMEOUT, "ip", "netns", "add", name);
        if (!add.ok()) {
            throw new AssertionError("cannot create network namespace " + name + " (this test needs root and iproute2):"
                    + " " + add.output());
        }
        Netns ns = new Netns(name);
        ns.must("ip", "link", "set", "lo", "up");
        return ns;
    }

    public String name() {
        return name;
    }

    /**
     * Gives the namespace an {@code eth0} with {@code cidr} (e.g. {@code 10.77.0.2/24}): one end of a veth pair
     * whose other end, named {@code hostEnd} (at most 15 characters), stays in the caller's namespace, down unless
     * the caller sets it up. Deleting the namespace deletes the pair.
     */
    public void addEth0(String hostEnd, String cidr) {
        CommandLine.Result add = CommandLine.run(CMD_TIMEOUT, "ip", "link", "add", hostEnd, "type", "veth", "peer",
                "name", "eth0", "netns", name);
        if (!add.ok()) {
            throw new AssertionError("cannot add a veth pair to " + name + ": " + add.output());
        }
        must("ip", "addr", "add", cidr, "dev", "eth0");
        must("ip", "link", "set", "eth0", "up");
    }

    /** Runs {@code command} inside the namespace as root. */
    public CommandLine.Result exec(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(command));
        return CommandLine.run(CMD_TIMEOUT, cmd);
    }

    /** Runs {@code command} inside the namespace and fails the test when it does not exit 0. */
    public CommandLine.Result must(String... command) {
        CommandLine.Result r = exec(command);
        if (!r.ok()) {
            throw new AssertionError("in " + name + ": " + String.join(" ", command) + " exited " + r.exitCode()
                    + ": " + r.output());
        }
        return r;
    }

    /** Runs {@code command} inside the namespace as {@code uid} (and the same gid). */
    public CommandLine.Result as(String uid, String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", uid, "--regid", uid, "--clear-groups"));
        cmd.addAll(List.of(command));
        return exec(cmd.toArray(String[]::new));
    }

    /** One HTTP/1.1 exchange by curl inside the namespace as {@code uid}. */
    public CurlResponse curl(String uid, String url, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-i", "--http1.1", "--connect-timeout", "5",
                "--max-time", "10"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        CommandLine.Result r = as(uid, cmd.toArray(String[]::new));
        return CurlResponse.parse(r.exitCode(), r.output());
    }

    /** A JVM running {@code mainClass} of the test class path inside the namespace, its output collected. */
    public Proc java(String mainClass, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name, java, "-Xss512k", "-Xmx128m", "-cp", cp,
                mainClass));
        cmd.addAll(List.of(args));
        Proc p = new Proc(new ProcessBuilder(cmd).redirectErrorStream(true).start(), mainClass);
        processes.add(p);
        return p;
    }

    /** Stops every process it started (closing their stdin, then killing) and deletes the namespace. */
    @Override
    public void close() throws InterruptedException {
        for (Proc p : processes) {
            p.stop();
        }
        CommandLine.Result del = CommandLine.run(CMD_TIMEOUT, "ip", "netns", "del", name);
        if (!del.ok()) {
            throw new AssertionError("ip netns del " + name + ": " + del.output());
        }
    }

    /** A process in the namespace and the lines it printed. */
    public static final class Proc {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        Proc(Process process, String name) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the child is gone; what it printed so far is kept
                }
            }, "netns-output-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        public List<String> lines() {
            return lines;
        }

        public Process process() {
            return process;
        }

        /** The first line matching {@code p}, waiting up to {@code timeout}; fails with the output so far. */
        public String await(Predicate<String> p, String what, Duration timeout) {
            return Eventually.within(timeout).unless(() -> !process.isAlive())
                    .reporting(() -> "output so far:\n" + String.join("\n", lines))
                    .untilFound("output line: " + what, () -> lines.stream().filter(p).findFirst());
        }

        void stop() throws InterruptedException {
            try {
                process.getOutputStream().close(); // our children stop when their stdin closes
            } catch (IOException ignored) {
                // already gone
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** What curl printed with {@code -i}: status, headers (lower-case names) and body; status -1 when it failed. */
    public record CurlResponse(int exitCode, String raw, int status, Map<String, String> headers, String body) {
        public static CurlResponse parse(int exitCode, String raw) {
            int split = raw.indexOf("\r\n\r\n");
            if (exitCode != 0 || !raw.startsWith("HTTP/") || split < 0) {
                return new CurlResponse(exitCode, raw, -1, Map.of(), "");
            }
            String[] head = raw.substring(0, split).split("\r\n");
            int status = Integer.parseInt(head[0].split(" ")[1]);
            Map<String, String> headers = new TreeMap<>();
            for (int i = 1; i < head.length; i++) {
                int colon = head[i].indexOf(':');
                if (colon > 0) {
                    headers.put(head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            head[i].substring(colon + 1).trim());
                }
            }
            return new CurlResponse(exitCode, raw, status, headers, raw.substring(split + 4));
        }

        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }
}
