package io.remora.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reloads a set of config files so that a broken file is rejected alone: it is replaced by its last good content
 * and the rest of the change still lands. A file whose last good content no longer fits with the others (or that
 * never had any) is left out. Errors are reported per rejected file with {@code file:line:col}. Not thread-safe:
 * one reloader per set of files.
 */
public final class KeepGoodLoader {
    /** What a reload produced: the snapshot to run, and the files rejected (their last good content kept). */
    public record Result(Snapshot snapshot, Map<String, List<ConfigError>> rejected) {
    }

    private final Map<String, byte[]> lastGood = new HashMap<>();

    /** Starts from files known to be good together (those the running config was loaded from). */
    public KeepGoodLoader(List<Path> goodFiles) {
        for (Path f : ConfigFiles.expand(goodFiles)) {
            try {
                lastGood.put(f.toString(), Files.readAllBytes(f));
            } catch (IOException e) {
                // Not readable now: it has no last good content, so a broken version is left out.
            }
        }
    }

    /**
     * Loads {@code paths} (a directory stands for its YAML files); each file with errors falls back to its last good content, then is left out.
     *
     * @throws ConfigException when no combination of the files is valid (nothing to run)
     */
    public Result load(List<Path> paths, Map<String, String> env) throws ConfigException {
        List<Path> files = ConfigFiles.expand(paths);
        Map<String, byte[]> current = new LinkedHashMap<>();
        Map<String, List<ConfigError>> rejected = new LinkedHashMap<>();
        for (Path f : files) {
            try {
                current.put(f.toString(), Files.readAllBytes(f));
            } catch (IOException e) {
                rejected.put(f.toString(), List.of(new ConfigError(f.toString(), 0, 0, "",
                        "cannot read file: " + e.getMessage())));
                byte[] good = lastGood.get(f.toString());
                if (good != null) {
                    current.put(f.toString(), good);
                }
            }
        }
        for (int round = 0; round <= files.size(); round++) {
            List<Map.Entry<String, byte[]>> sources = new ArrayList<>();
            current.forEach((name, bytes) -> sources.add(new AbstractMap.SimpleEntry<>(name, bytes)));
            try {
                Snapshot snapshot = ConfigLoader.loadSources(sources, env);
                lastGood.putAll(current);
                return new Result(snapshot, rejected);
            } catch (ConfigException e) {
                Map<String, List<ConfigError>> byFile = new LinkedHashMap<>();
                for (ConfigError error : e.errors()) {
                    byFile.computeIfAbsent(error.file(), k -> new ArrayList<>()).add(error);
                }
                if (!current.keySet().containsAll(byFile.keySet())) {
                    throw e; // errors of no file (the environment): nothing to fall back to
                }
                for (Map.Entry<String, List<ConfigError>> bad : byFile.entrySet()) {
                    String name = bad.getKey();
                    rejected.putIfAbsent(name, bad.getValue());
                    byte[] good = lastGood.get(name);
                    if (good != null && !Arrays.equals(good, current.get(name))) {
                        current.put(name, good);
                    } else {
                        current.remove(name);
                    }
                }
                if (current.isEmpty()) {
                    throw e;
                }
            }
        }
        throw new ConfigException(rejected.values().stream().flatMap(List::stream).toList());
    }
}
