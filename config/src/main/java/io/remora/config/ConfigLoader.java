package io.remora.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads config files into a validated {@link Snapshot}: every YAML document of every file is bound to a resource,
 * {@code REMORA_*} environment overrides are applied to the Sidecar, and the whole set is validated. All errors
 * found are reported together, each with file, line, column, field path, the bad value and what was expected;
 * except that a file that cannot be read, is over the size limit or is not valid YAML is reported alone (with the
 * other files' such errors), since every other error would only follow from the documents it failed to give.
 * Relative file paths in a file (certificates, keys, trust bundles, token files) are resolved against the directory
 * of that file, as kubeconfig does, so a config means the same wherever it is loaded from.
 *
 * <p>The snapshot version is the first 12 hex digits of a SHA-256 over the files' bytes and the applied
 * overrides, so the same input always gives the same version.
 */
public final class ConfigLoader {
    /**
     * {@code REMORA_*} variables that are not Sidecar settings (read by the start script, or a setting of the loader
     * itself) and so are not errors.
     */
    public static final Set<String> NON_CONFIG_ENV = Set.of("REMORA_JAVA_OPTS", "REMORA_JAVA", "REMORA_HOME",
            ConfigFiles.MAX_FILE_SIZE_VARIABLE);

    /**
     * One input.
     *
     * @param name      as errors print it
     * @param bytes     its YAML
     * @param directory what relative file paths in it resolve against; null leaves them as written
     * @param limit     the most code points it may hold (and nodes it may expand to through aliases)
     */
    record Source(String name, byte[] bytes, Path directory, int limit) {
        /** Bytes that are not a file: no directory, and the limit is the default one or their own size. */
        static Source inMemory(String name, byte[] bytes) {
            return new Source(name, bytes, null, Math.max(Defaults.CONFIG_MAX_FILE_SIZE, bytes.length));
        }

        static Source file(Path file, byte[] bytes, int limit) {
            Path parent = file.toAbsolutePath().normalize().getParent();
            return new Source(file.toString(), bytes, parent, limit);
        }

        /** The same source with other content (its last good one). */
        Source with(byte[] content) {
            return new Source(name, content, directory, Math.max(limit, content.length));
        }
    }

    /**
     * What a load produced: the snapshot, and when a running Sidecar was kept in place of the files' one, which.
     */
    record Loaded(Snapshot snapshot, KeepGoodLoader.KeptSidecar keptSidecar) {
    }

    /**
     * How strict a load is beyond the validator.
     *
     * @param given   the paths as given, when the files must hold something (a Sidecar or a resource): a proxy's
     *                files; null for sources that may be empty (a control plane's mesh)
     * @param running a running proxy's Sidecar, kept whatever the files now say (it is bound at start); null
     *                when the files' Sidecar is taken
     */
    record Options(List<Path> given, Sidecar running) {
        static final Options ANYTHING = new Options(null, null);
    }

    private ConfigLoader() {
    }

    /**
     * Loads and validates {@code files} in order (a directory stands for its YAML files, in name order), then
     * applies overrides from {@code env}. The files must hold at least a Sidecar or a resource.
     *
     * @param env the environment, usually {@link System#getenv()}; only {@code REMORA_*} names are read
     * @throws ConfigException carrying every error found, including files that cannot be read
     */
    public static Snapshot load(List<Path> files, Map<String, String> env) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        int limit = ConfigFiles.maxFileSize(env, errors);
        List<Source> sources = new ArrayList<>();
        for (Path file : ConfigFiles.expand(files)) {
            Source source = readFile(file, limit, errors);
            if (source != null) {
                sources.add(source);
            }
        }
        return build(sources, env, errors, new Options(files, null)).snapshot();
    }

    /** {@code file} as a source, or null after appending why it cannot be read (or is too large) to errors. */
    static Source readFile(Path file, int limit, List<ConfigError> errors) {
        try {
            return Source.file(file, ConfigFiles.read(file, limit), limit);
        } catch (ConfigFiles.TooLargeException e) {
            errors.add(new ConfigError(file.toString(), 0, 0, "", e.getMessage()));
        } catch (IOException e) {
            errors.add(new ConfigError(file.toString(), 0, 0, "", "cannot read file: " + reason(e)));
        }
        return null;
    }

    /**
     * Loads and validates one in-memory YAML text, as if it were a file named {@code fileName}.
     *
     * @throws ConfigException carrying every error found
     */
    public static Snapshot parse(String fileName, String yamlText, Map<String, String> env) throws ConfigException {
        return build(List.of(Source.inMemory(fileName, yamlText.getBytes(StandardCharsets.UTF_8))), env,
                new ArrayList<>(), Options.ANYTHING).snapshot();
    }

    /**
     * Loads in-memory sources in order, each a name (as errors print it) and its YAML bytes.
     *
     * @throws ConfigException carrying every error found
     */
    public static Snapshot loadSources(List<Map.Entry<String, byte[]>> sources, Map<String, String> env)
            throws ConfigException {
        List<Source> list = new ArrayList<>(sources.size());
        for (Map.Entry<String, byte[]> e : sources) {
            list.add(Source.inMemory(e.getKey(), e.getValue()));
        }
        return build(list, env, new ArrayList<>(), Options.ANYTHING).snapshot();
    }

    /** Every error {@link #load} would report; empty when the files and environment are valid. */
    public static List<ConfigError> validate(List<Path> files, Map<String, String> env) {
        try {
            load(files, env);
            return List.of();
        } catch (ConfigException e) {
            return e.errors();
        }
    }

    /** Names of every environment variable that overrides a Sidecar field, in the spec's declaration order. */
    public static List<String> envVariables() {
        return EnvOverrides.SETTINGS.stream().map(EnvOverrides.Setting::variable).toList();
    }

    /**
     * Reads, binds and validates {@code sources}; {@code errors} may already hold errors of reading them.
     *
     * @throws ConfigException every error found; only those of reading and YAML syntax when there are any
     */
    static Loaded build(List<Source> sources, Map<String, String> env, List<ConfigError> errors, Options options)
            throws ConfigException {
        // Each document is bound as soon as it is read, so its nodes are garbage before the next is read. Errors of
        // binding wait: reading errors (a file not read, YAML syntax) are reported alone when there are any.
        List<LoadedDocument> documents = new ArrayList<>();
        List<ConfigError> bindingErrors = new ArrayList<>();
        int[] read = {0};
        for (Source source : sources) {
            YamlDocuments.read(source.name(), source.bytes(), source.limit(), errors, root -> {
                read[0]++;
                LoadedDocument document = DocumentBinder.bind(source.name(), root, source.directory(), bindingErrors);
                if (document != null) {
                    documents.add(document);
                }
            });
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(inReadingOrder(errors, sources));
        }
        errors.addAll(bindingErrors);
        if (options.given() != null && read[0] == 0) {
            errors.addAll(nothingIn(options.given(), sources));
            throw new ConfigException(errors);
        }
        List<EnvOverrides.Override> overrides = EnvOverrides.read(env, NON_CONFIG_ENV, errors);
        if (!overrides.isEmpty()) {
            applyOverrides(documents, overrides);
        }
        KeepGoodLoader.KeptSidecar kept = options.running() == null ? null : keep(documents, options.running(),
                sources);
        Validator.Result validated = Validator.validate(documents);
        errors.addAll(validated.errors());
        if (!errors.isEmpty()) {
            throw new ConfigException(inReadingOrder(errors, sources));
        }
        Sidecar sidecar = null;
        List<AuthorizationPolicy> policies = new ArrayList<>();
        for (LoadedDocument document : documents) {
            Resource resource = document.resource();
            if (resource instanceof Sidecar s) {
                sidecar = s;
            } else if (resource instanceof AuthorizationPolicy a) {
                policies.add(a);
            }
        }
        MeshIndex mesh = validated.mesh();
        return new Loaded(new Snapshot(version(sources, overrides), sidecar, mesh.services(), mesh.routes(), policies,
                mesh), kept);
    }

    /**
     * Puts the running Sidecar in place of the files' one when they differ (then validated with the rest, as it
     * will run); returns what was not applied, or null when the files' Sidecar is the running one. Two Sidecars are
     * left for the validator to report.
     */
    private static KeepGoodLoader.KeptSidecar keep(List<LoadedDocument> documents, Sidecar running,
                                                   List<Source> sources) {
        int index = -1;
        for (int i = 0; i < documents.size(); i++) {
            if (documents.get(i).kind().equals("Sidecar")) {
                if (index >= 0) {
                    return null;
                }
                index = i;
            }
        }
        LoadedDocument document = index >= 0 ? documents.get(index) : null;
        if (document != null && document.resource() == null) {
            return null; // its own errors are reported
        }
        Sidecar wanted = document == null ? Sidecar.defaults() : (Sidecar) document.resource();
        if (Objects.equals(wanted, running)) {
            return null;
        }
        String file = document != null ? document.where().file() : sources.isEmpty() ? ""
                : sources.get(0).name();
        SourceMap where = document != null ? document.where() : new SourceMap.Builder(file).build();
        LoadedDocument runningDocument = new LoadedDocument("Sidecar", running.metadata(), running, where);
        if (index >= 0) {
            documents.set(index, runningDocument);
        } else {
            documents.add(0, runningDocument);
        }
        return new KeepGoodLoader.KeptSidecar(file, document == null ? null : wanted);
    }

    /**
     * Why a config with nothing in it is refused: each file given holds nothing, and a directory given has no YAML
     * files (where a file was meant, a bind mount of a missing file has made a directory).
     */
    private static List<ConfigError> nothingIn(List<Path> given, List<Source> sources) {
        String expected = "expected at least a Sidecar or a Service, Route or AuthorizationPolicy document";
        List<ConfigError> errors = new ArrayList<>();
        for (Path p : given) {
            if (Files.isDirectory(p) && ConfigFiles.expand(List.of(p)).isEmpty()) {
                String name = p.getFileName() == null ? "" : p.getFileName().toString();
                boolean meantAFile = name.endsWith(".yaml") || name.endsWith(".yml");
                errors.add(new ConfigError(p.toString(), 0, 0, "", "a directory with no *.yaml or *.yml files"
                        + (meantAFile ? " where a file is expected (what a bind mount of a missing file creates)" : "")
                        + ", " + expected));
            }
        }
        for (Source source : sources) {
            errors.add(new ConfigError(source.name(), 0, 0, "", "holds no resource (it is empty or only comments), "
                    + expected));
        }
        if (errors.isEmpty()) {
            errors.add(new ConfigError(String.join(", ", given.stream().map(Path::toString).toList()), 0, 0, "",
                    "no config file could be read, " + expected));
        }
        return errors;
    }

    /** Sorted by file (in the order given, the environment last), then line and column; otherwise as found. */
    private static List<ConfigError> inReadingOrder(List<ConfigError> errors, List<Source> sources) {
        List<String> names = sources.stream().map(Source::name).toList();
        Comparator<ConfigError> byFile = Comparator.comparingInt(e -> {
            int index = names.indexOf(e.file());
            return index >= 0 ? index : names.size();
        });
        List<ConfigError> sorted = new ArrayList<>(errors);
        sorted.sort(byFile.thenComparingInt(ConfigError::line).thenComparingInt(ConfigError::column));
        return sorted;
    }

    /** Applies the overrides to the first Sidecar, or to a default one named "sidecar" when the files hold none. */
    private static void applyOverrides(List<LoadedDocument> documents, List<EnvOverrides.Override> overrides) {
        for (int i = 0; i < documents.size(); i++) {
            LoadedDocument document = documents.get(i);
            if (document.kind().equals("Sidecar")) {
                if (document.resource() instanceof Sidecar sidecar) {
                    documents.set(i, new LoadedDocument("Sidecar", document.metadata(),
                            EnvOverrides.apply(sidecar, overrides), EnvOverrides.attribute(document.where(), overrides)));
                }
                return;
            }
        }
        Sidecar sidecar = EnvOverrides.apply(Sidecar.defaults(), overrides);
        documents.add(new LoadedDocument("Sidecar", sidecar.metadata(), sidecar,
                EnvOverrides.attribute(SourceMap.env(), overrides)));
    }

    private static String version(List<Source> sources, List<EnvOverrides.Override> overrides) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
        for (Source source : sources) {
            sha256.update(ByteBuffer.allocate(Long.BYTES).putLong(source.bytes().length).array());
            sha256.update(source.bytes());
        }
        for (EnvOverrides.Override o : overrides) {
            sha256.update((o.setting().variable() + "=" + o.text() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha256.digest()).substring(0, 12);
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file, expected a readable YAML file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied, expected a readable YAML file";
        }
        return e.getMessage() + ", expected a readable YAML file";
    }
}
