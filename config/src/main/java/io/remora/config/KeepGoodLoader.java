package io.remora.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reloads a set of config files so that a broken file is rejected alone: it is replaced by its last good content
 * and the rest of the change still lands. A file whose last good content no longer fits with the others (or that
 * never had any) is left out. Errors are reported per rejected file with {@code file:line:col}. For a running
 * proxy ({@link #keepSidecar}), a changed Sidecar is not taken: the running one stays in the result while the
 * services, routes and policies of the same files land, and the result says what was kept. Not thread-safe: one
 * reloader per set of files.
 */
public final class KeepGoodLoader {
    /**
     * What a reload produced: the snapshot to run, the files rejected (their last good content kept), the sources
     * the snapshot was built from (name → bytes, a rejected one with its last good content), in order, and the
     * Sidecar kept in place of the files' one (null when the files' Sidecar is the one running).
     */
    public record Result(Snapshot snapshot, Map<String, List<ConfigError>> rejected, Map<String, byte[]> sources,
                         KeptSidecar keptSidecar) {
    }

    /**
     * The files hold another Sidecar than the running one, which stays.
     *
     * @param file   the file of the Sidecar that was not applied
     * @param wanted that Sidecar; null when the files now hold none
     */
    public record KeptSidecar(String file, Sidecar wanted) {
    }

    private final Map<String, byte[]> lastGood = new HashMap<>();
    private Sidecar running;

    /** Starts with no last good content: a broken source is left out until it has been good once. */
    public KeepGoodLoader() {
    }

    /**
     * Starts from files known to be good together (those the running config was loaded from), read within the
     * size limit {@code env} sets.
     */
    public KeepGoodLoader(List<Path> goodFiles, Map<String, String> env) {
        int limit = ConfigFiles.maxFileSize(env, new ArrayList<>());
        for (Path f : ConfigFiles.expand(goodFiles)) {
            try {
                lastGood.put(f.toString(), ConfigFiles.read(f, limit));
            } catch (IOException e) {
                // Not readable now: it has no last good content, so a broken version is left out.
            }
        }
    }

    /**
     * From now on every result runs {@code sidecar} (the Sidecar a proxy was started with: its listeners, mTLS and
     * limits are bound at start), whatever Sidecar the files hold; the Sidecar the files want is in
     * {@link Result#keptSidecar()}.
     */
    public KeepGoodLoader keepSidecar(Sidecar sidecar) {
        this.running = Objects.requireNonNull(sidecar, "sidecar");
        return this;
    }

    /**
     * Loads {@code paths} (a directory stands for its YAML files); each file with errors falls back to its last
     * good content, then is left out. The files must hold at least a Sidecar or a resource.
     *
     * @throws ConfigException when no combination of the files is valid (nothing to run)
     */
    public Result load(List<Path> paths, Map<String, String> env) throws ConfigException {
        List<ConfigError> envErrors = new ArrayList<>();
        int limit = ConfigFiles.maxFileSize(env, envErrors);
        if (!envErrors.isEmpty()) {
            throw new ConfigException(envErrors);
        }
        Map<String, ConfigLoader.Source> current = new LinkedHashMap<>();
        Map<String, List<ConfigError>> rejected = new LinkedHashMap<>();
        for (Path f : ConfigFiles.expand(paths)) {
            List<ConfigError> errors = new ArrayList<>();
            ConfigLoader.Source source = ConfigLoader.readFile(f, limit, errors);
            if (source == null) {
                rejected.put(f.toString(), errors);
                byte[] good = lastGood.get(f.toString());
                if (good != null) {
                    current.put(f.toString(), ConfigLoader.Source.file(f, good, Math.max(limit, good.length)));
                }
            } else {
                current.put(source.name(), source);
            }
        }
        return settle(current, rejected, env, new ConfigLoader.Options(paths, running));
    }

    /**
     * Loads in-memory sources (name as errors print it → YAML bytes, in order), each with errors falling back to its
     * last good content, then left out. For sources that are not files: a control plane's API objects.
     *
     * @throws ConfigException when no combination of the sources is valid
     */
    public Result loadSources(Map<String, byte[]> sources, Map<String, String> env) throws ConfigException {
        return loadSources(sources, Map.of(), env);
    }

    /**
     * Like {@link #loadSources(Map, Map)}, with origins that could not be read (too large, say): each is rejected
     * with its errors and replaced by its last good content, if it had one.
     *
     * @throws ConfigException when no combination of the sources is valid
     */
    public Result loadSources(Map<String, byte[]> sources, Map<String, List<ConfigError>> unreadable,
                              Map<String, String> env) throws ConfigException {
        Map<String, ConfigLoader.Source> current = new LinkedHashMap<>();
        sources.forEach((name, bytes) -> current.put(name, ConfigLoader.Source.inMemory(name, bytes)));
        Map<String, List<ConfigError>> rejected = new LinkedHashMap<>(unreadable);
        unreadable.keySet().forEach(name -> {
            byte[] good = lastGood.get(name);
            if (good != null) {
                current.put(name, ConfigLoader.Source.inMemory(name, good));
            }
        });
        return settle(current, rejected, env, new ConfigLoader.Options(null, running));
    }

    private Result settle(Map<String, ConfigLoader.Source> current, Map<String, List<ConfigError>> rejected,
                          Map<String, String> env, ConfigLoader.Options options) throws ConfigException {
        if (current.isEmpty() && !rejected.isEmpty()) {
            throw new ConfigException(rejected.values().stream().flatMap(List::stream).toList());
        }
        int sourceCount = current.size();
        for (int round = 0; round <= sourceCount; round++) {
            try {
                ConfigLoader.Loaded loaded = ConfigLoader.build(new ArrayList<>(current.values()), env,
                        new ArrayList<>(), options);
                Map<String, byte[]> used = new LinkedHashMap<>();
                current.forEach((name, source) -> used.put(name, source.bytes()));
                lastGood.putAll(used);
                return new Result(loaded.snapshot(), rejected, Collections.unmodifiableMap(used),
                        loaded.keptSidecar());
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
                    ConfigLoader.Source source = current.get(name);
                    if (good != null && !Arrays.equals(good, source.bytes())) {
                        current.put(name, source.with(good));
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
