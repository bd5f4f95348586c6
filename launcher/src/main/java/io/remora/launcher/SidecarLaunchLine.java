package io.remora.launcher;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The sidecar's own launch lines, read without picocli: {@code remora proxy --kubernetes} (what the injector puts in
 * a pod) and {@code remora proxy --config FILE...} (the image's default and the local run), each with an optional
 * {@code --watch}/{@code --no-watch}. Picocli builds its model of a command from the command's annotations, which on
 * a JDK costs a proxy class per annotation type and reflection over every member: about a third of the CPU a sidecar
 * spends before it is ready (bench/RESULTS.md "Ready"). A line these do not cover exactly, in any way (help, version,
 * {@code --config=FILE}, {@code @argfiles}, a repeated or unknown option, a missing file, both or neither of
 * {@code --config} and {@code --kubernetes}), is picocli's, which parses it, explains it or refuses it as before; so
 * this class only ever takes lines picocli would have read the same way ({@code SidecarLaunchLineTest} holds the two
 * to that).
 */
final class SidecarLaunchLine {
    private SidecarLaunchLine() {
    }

    /** The command {@code args} name, its options set as picocli would set them; null when the line is picocli's. */
    static ProxyCommand parse(String... args) {
        if (args.length < 2 || !args[0].equals("proxy")) {
            return null;
        }
        List<Path> config = null;
        boolean kubernetes = false;
        Boolean watch = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--kubernetes" -> {
                    if (kubernetes) {
                        return null;
                    }
                    kubernetes = true;
                }
                case "--watch", "--no-watch" -> {
                    if (watch != null) {
                        return null;
                    }
                    watch = a.equals("--watch");
                }
                case "-c", "--config" -> {
                    if (config != null) {
                        return null;
                    }
                    config = new ArrayList<>();
                    // arity 1..*: the files up to the next option (or the end).
                    while (i + 1 < args.length && isFile(args[i + 1])) {
                        try {
                            config.add(Path.of(args[++i]));
                        } catch (InvalidPathException e) {
                            return null;
                        }
                    }
                    if (config.isEmpty()) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (kubernetes == (config != null)) {
            return null;
        }
        ProxyCommand command = new ProxyCommand();
        command.config = config == null ? null : List.copyOf(config);
        command.kubernetes = kubernetes;
        command.watch = watch == null || watch;
        return command;
    }

    /** A value picocli would take as a file: not option-like, not an {@code @argfile}, not empty. */
    private static boolean isFile(String arg) {
        return !arg.isEmpty() && arg.charAt(0) != '-' && arg.charAt(0) != '@';
    }
}
