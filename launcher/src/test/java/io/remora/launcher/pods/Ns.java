package io.remora.launcher.pods;

import io.remora.config.testing.Eventually;
import io.remora.proxy.testing.Netns.CurlResponse;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A network namespace the test created, and what runs in it: commands (as root or as a uid, by {@code setpriv}) and
 * long-running children whose output is collected. {@link #close} stops the children and deletes the namespace.
 */
final class Ns implements AutoCloseable {
    static final Duration CMD_TIMEOUT = Duration.ofSeconds(30);

    final String name;
    private final List<Child> children = new CopyOnWriteArrayList<>();

    private Ns(String name) {
        this.name = name;
    }

    /** Creates the namespace with loopback up; fails with the reason when it cannot (not root, no iproute2). */
    static Ns create(String name) {
        Result add = run(CMD_TIMEOUT, List.of("ip", "netns", "add", name));
        if (!add.ok()) {
            throw new AssertionError("cannot create network namespace " + name
                    + " (the pod simulation needs root and iproute2): " + add.all());
        }
        Ns ns = new Ns(name);
        ns.must("ip", "link", "set", "lo", "up");
        return ns;
    }

    /** What a command printed and how it exited. */
    record Result(int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }

        String all() {
            return (out + err).strip();
        }
    }

    static Result run(Duration timeout, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File(
                    "/dev/null"))).start();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errReader = drain(p.getErrorStream(), err);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            errReader.join(5000);
            return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    private static Thread drain(InputStream in, OutputStream into) {
        Thread t = new Thread(() -> {
            try (in) {
                in.transferTo(into);
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "stderr-reader");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private List<String> inside(String... command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(command));
        return c;
    }

    /** {@code setpriv} prefix that runs the rest as {@code uid} (and gid), without supplementary groups. */
    static List<String> as(int uid, List<String> command) {
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid", String.valueOf(uid), "--regid",
                String.valueOf(uid), "--clear-groups"));
        c.addAll(command);
        return c;
    }

    Result exec(String... command) {
        return run(CMD_TIMEOUT, inside(command));
    }

    Result exec(List<String> command) {
        return exec(command.toArray(String[]::new));
    }

    Result must(String... command) {
        Result r = exec(command);
        if (!r.ok()) {
            throw new AssertionError("in " + name + ": " + String.join(" ", command) + " exited " + r.exit() + ": "
                    + r.all());
        }
        return r;
    }

    /** One HTTP/1.1 exchange by an unmodified curl inside the namespace, as {@code uid} (0: root). */
    CurlResponse curl(int uid, String url, String... extra) {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "-i", "--http1.1", "--connect-timeout", "5",
                "--max-time", "10"));
        c.addAll(List.of(extra));
        c.add(url);
        Result r = exec(uid == 0 ? c : as(uid, c));
        return CurlResponse.parse(r.exit(), r.out() + r.err());
    }

    /** A long-running child inside the namespace with {@code env} added to the test's environment. */
    Child spawn(String label, Map<String, String> env, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(inside(command.toArray(String[]::new))).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("REMORA_"));
        pb.environment().putAll(env);
        try {
            Child c = new Child(label, pb.start());
            children.add(c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        for (Child c : children) {
            c.kill();
        }
        Result del = run(CMD_TIMEOUT, List.of("ip", "netns", "del", name));
        if (!del.ok()) {
            throw new AssertionError("ip netns del " + name + ": " + del.all());
        }
    }

    /** A process in a namespace and every line it printed. */
    static final class Child {
        final String label;
        final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        Child(String label, Process process) {
            this.label = label;
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
            }, "output-" + label);
            reader.setDaemon(true);
            reader.start();
        }

        List<String> lines() {
            return lines;
        }

        long count(Predicate<String> p) {
            return lines.stream().filter(p).count();
        }

        /** The first line matching {@code p}, waiting up to {@code timeout}; fails with the output so far. */
        String await(Predicate<String> p, String what, Duration timeout) {
            return Eventually.within(timeout).unless(() -> !process.isAlive())
                    .reporting(() -> label + (process.isAlive() ? "" : " (exited)") + ": output so far:\n"
                            + String.join("\n", lines))
                    .untilFound("output line " + what, () -> lines.stream().filter(p).findFirst());
        }

        /** Writes one line to the child's stdin. */
        void tell(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        void kill() {
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // already gone
            }
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
