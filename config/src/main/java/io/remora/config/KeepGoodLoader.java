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
    /**
     * What a reload produced: the snapshot to run, the files rejected (their last good content kept), and the
     * sources the snapshot was built from (name → bytes, a rejected one with its last good content), in order.
     */
    public record Result(Snapshot snapshot, Map<String, List<ConfigError>> rejected, Map<String, byte[]> sources) {
    }

    private final Map<String, byte[]> lastGood = new HashMap<>();

    /** Starts with no last good content: a broken source is left out until it has been good once. */
    public KeepGoodLoader() {
    }

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
        return settle(current, rejected, env);
    }

    /**
     * Loads in-memory sources (name as errors print it → YAML bytes, in order), each with errors falling back to its
     * last good content, then left out. For sources that are not files: a control plane's API objects.
     *
     * @throws ConfigException when no combination of the sources is valid
     */
    public Result loadSources(Map<String, byte[]> sources, Map<String, String> env) throws ConfigException {
        return settle(new LinkedHashMap<>(sources), new LinkedHashMap<>(), env);
    }

    private Result settle(Map<String, byte[]> current, Map<String, List<ConfigError>> rejected,
                          Map<String, String> env) throws ConfigException {
        int sourceCount = current.size();
        for (int round = 0; round <= sourceCount; round++) {
            List<Map.Entry<String, byte[]>> sources = new ArrayList<>();
            current.forEach((name, bytes) -> sources.add(new AbstractMap.SimpleEntry<>(name, bytes)));
            try {
                Snapshot snapshot = ConfigLoader.loadSources(sources, env);
                lastGood.putAll(current);
                return new Result(snapshot, rejected, java.util.Collections.unmodifiableMap(current));
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
