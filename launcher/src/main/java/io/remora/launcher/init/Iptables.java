package io.remora.launcher.init;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs the node's iptables: picks the backend the node already uses (nf_tables or legacy — writing to the other
 * would leave rules the kernel's active one never sees), reads the nat table and applies a transaction. Every
 * failure is an {@link InitException} with one line saying what failed and what to check.
 */
final class Iptables {
    /** The two backends, by the prefix of their commands. */
    enum Backend {
        NFT("nft"), LEGACY("legacy");

        final String label;

        Backend(String label) {
            this.label = label;
        }
    }

    /** A failure to report in one line. */
    static final class InitException extends Exception {
        InitException(String message) {
            super(message, null, false, false);
        }
    }

    /** Output of one command. */
    record Result(int exit, String out, String err) {
    }

    /** Runs a command with input; a seam so that tests can see what would run. */
    interface Runner {
        Result run(List<String> command, String stdin) throws IOException;
    }

    static final Runner PROCESSES = (command, stdin) -> {
        Process p = new ProcessBuilder(command).start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = read(p.getInputStream());
        String err = read(p.getErrorStream());
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(p.exitValue(), out, err);
    };

    private final Runner runner;
    private final Backend backend;

    private Iptables(Runner runner, Backend backend) {
        this.runner = runner;
        this.backend = backend;
    }

    /**
     * Picks the backend: the one that already holds rules (kube-proxy's or the CNI's) when only one does, else
     * nf_tables (today's default) when its commands exist, else legacy; {@code forced} ("nft", "legacy") wins.
     */
    static Iptables detect(Runner runner, String forced) throws InitException {
        if (forced != null && !forced.isEmpty() && !"auto".equals(forced)) {
            for (Backend b : Backend.values()) {
                if (b.label.equals(forced.toLowerCase(Locale.ROOT))) {
                    return new Iptables(runner, b);
                }
            }
            throw new InitException("--iptables-mode " + forced + ": expected auto, nft or legacy");
        }
        int nft = ruleCount(runner, Backend.NFT);
        int legacy = ruleCount(runner, Backend.LEGACY);
        if (nft < 0 && legacy < 0) {
            throw new InitException("neither iptables-nft-save nor iptables-legacy-save can be run: install iptables"
                    + " (1.8 or later) in the image");
        }
        if (legacy > 0 && nft <= 0) {
            return new Iptables(runner, Backend.LEGACY);
        }
        return new Iptables(runner, nft >= 0 ? Backend.NFT : Backend.LEGACY);
    }

    /** Rules ({@code -A} lines) the backend's save shows in any table; -1 when it cannot be run. */
    private static int ruleCount(Runner runner, Backend b) {
        try {
            Result r = runner.run(List.of("iptables-" + b.label + "-save"), null);
            if (r.exit() != 0) {
                return -1;
            }
            int n = 0;
            for (String line : r.out().split("\n")) {
                if (line.startsWith("-A ")) {
                    n++;
                }
            }
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    Backend backend() {
        return backend;
    }

    /** The nat table as {@code iptables-save} prints it. */
    String saveNat(boolean ipv6) throws InitException {
        List<String> command = List.of(tool(ipv6, "save"), "-t", "nat");
        Result r = run(command, null);
        if (r.exit() != 0) {
            throw failure(command, r);
        }
        return r.out();
    }

    /** Applies {@code rules} as one transaction (nothing changes when any line fails). */
    void restore(String rules, boolean ipv6) throws InitException {
        List<String> command = List.of(tool(ipv6, "restore"), "--noflush");
        Result r = run(command, rules);
        if (r.exit() != 0) {
            throw failure(command, r);
        }
    }

    private String tool(boolean ipv6, String what) {
        return (ipv6 ? "ip6tables-" : "iptables-") + backend.label + "-" + what;
    }

    private Result run(List<String> command, String stdin) throws InitException {
        try {
            return runner.run(command, stdin);
        } catch (IOException e) {
            throw new InitException(command.get(0) + " cannot be run (" + e.getMessage() + "): install iptables in"
                    + " the image");
        }
    }

    /** One line: what failed and what to check. */
    static InitException failure(List<String> command, Result r) {
        String err = r.err().strip();
        String first = err.isEmpty() ? "exit " + r.exit() : err.lines().findFirst().orElse(err);
        String lower = err.toLowerCase(Locale.ROOT);
        String hint;
        if (lower.contains("permission denied") || lower.contains("operation not permitted")
                || lower.contains("you must be root")) {
            hint = "the init container needs uid 0 and the NET_ADMIN and NET_RAW capabilities";
        } else if (lower.contains("table does not exist") || lower.contains("can't initialize")
                || lower.contains("no such file or directory") && lower.contains("nat")) {
            hint = "the node lacks the nat table: load its kernel modules (iptable_nat / nf_nat, and"
                    + " ip6table_nat for IPv6)";
        } else {
            hint = "nothing was changed (the rules are applied as one transaction)";
        }
        return new InitException(String.join(" ", command) + " failed: " + first + "; " + hint);
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Whether {@code save} (iptables-save of nat) holds the jump {@code -A <from> -p tcp -j <to>}. */
    static boolean hasJump(String save, String from, String to) {
        String wanted = "-A " + from + " -p tcp -j " + to;
        for (String line : save.split("\n")) {
            if (line.strip().equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    /** The chains of {@code names} that {@code save} declares. */
    static List<String> chains(String save, List<String> names) {
        List<String> found = new ArrayList<>();
        for (String line : save.split("\n")) {
            for (String n : names) {
                if (line.startsWith(":" + n + " ")) {
                    found.add(n);
                }
            }
        }
        return found;
    }
}
