package io.remora.proxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs external commands (curl, ip, iptables, a child JVM) from tests, with a time limit. */
public final class CommandLine {

    /** Exit code and combined stdout+stderr. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private CommandLine() {
    }

    /** True when the command can be started and exits 0 within 10 s. */
    public static boolean available(String... command) {
        try {
            return run(Duration.ofSeconds(10), command).ok();
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** Runs {@code command}; the process is killed (and exit code -1 reported) if it outlives {@code timeout}. */
    public static Result run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    public static Result run(Duration timeout, List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0), e);
        }
        try {
            p.getOutputStream().close(); // no input for the command
        } catch (IOException ignored) {
            // the process may already be gone; its exit code tells
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, output.getNow("") + "\n(killed after " + timeout + ")");
            }
            return new Result(p.exitValue(), output.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(-1, "(interrupted)");
        } catch (Exception e) {
            return new Result(p.exitValue(), "(output unreadable: " + e + ")");
        }
    }
}
