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
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads config files into a validated {@link Snapshot}: every YAML document of every file is bound to a resource,
 * {@code REMORA_*} environment overrides are applied to the Sidecar, and the whole set is validated. All errors
 * found are reported together, each with file, line, column, field path, the bad value and what was expected.
 *
 * <p>The snapshot version is the first 12 hex digits of a SHA-256 over the files' bytes and the applied
 * overrides, so the same input always gives the same version.
 */
public final class ConfigLoader {
    /** {@code REMORA_*} variables that are not config settings (read by the start script) and so are not errors. */
    public static final Set<String> NON_CONFIG_ENV = Set.of("REMORA_JAVA_OPTS", "REMORA_HOME");

    /** One input: its name as errors print it, and its bytes. */
    private record Source(String name, byte[] bytes) {
    }

    private ConfigLoader() {
    }

    /**
     * Loads and validates {@code files} in order (a directory stands for its YAML files, in name order), then
     * applies overrides from {@code env}.
     *
     * @param env the environment, usually {@link System#getenv()}; only {@code REMORA_*} names are read
     * @throws ConfigException carrying every error found, including files that cannot be read
     */
    public static Snapshot load(List<Path> files, Map<String, String> env) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        List<Source> sources = new ArrayList<>();
        for (Path file : ConfigFiles.expand(files)) {
            try {
                sources.add(new Source(file.toString(), Files.readAllBytes(file)));
            } catch (IOException e) {
                errors.add(new ConfigError(file.toString(), 0, 0, "", "cannot read file: " + reason(e)));
            }
        }
        return build(sources, env, errors);
    }

    /**
     * Loads and validates one in-memory YAML text, as if it were a file named {@code fileName}.
     *
     * @throws ConfigException carrying every error found
     */
    public static Snapshot parse(String fileName, String yamlText, Map<String, String> env) throws ConfigException {
        return build(List.of(new Source(fileName, yamlText.getBytes(StandardCharsets.UTF_8))), env, new ArrayList<>());
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
            list.add(new Source(e.getKey(), e.getValue()));
        }
        return build(list, env, new ArrayList<>());
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

    private static Snapshot build(List<Source> sources, Map<String, String> env, List<ConfigError> errors)
            throws ConfigException {
        List<LoadedDocument> documents = new ArrayList<>();
        for (Source source : sources) {
            for (Node root : YamlDocuments.read(source.name(), source.bytes(), errors)) {
                LoadedDocument document = DocumentBinder.bind(source.name(), root, errors);
                if (document != null) {
                    documents.add(document);
                }
            }
        }
        List<EnvOverrides.Override> overrides = EnvOverrides.read(env, NON_CONFIG_ENV, errors);
        if (!overrides.isEmpty()) {
            applyOverrides(documents, overrides);
        }
        errors.addAll(Validator.validate(documents));
        if (!errors.isEmpty()) {
            throw new ConfigException(inReadingOrder(errors, sources));
        }
        Sidecar sidecar = null;
        List<Service> services = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        List<AuthorizationPolicy> policies = new ArrayList<>();
        for (LoadedDocument document : documents) {
            Resource resource = document.resource();
            if (resource instanceof Sidecar s) {
                sidecar = s;
            } else if (resource instanceof Service s) {
                services.add(s);
            } else if (resource instanceof Route r) {
                routes.add(r);
            } else if (resource instanceof AuthorizationPolicy a) {
                policies.add(a);
            }
        }
        return new Snapshot(version(sources, overrides), sidecar, services, routes, policies);
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
