package io.remora.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Binds one YAML document ({@code apiVersion}, {@code kind}, {@code metadata}, {@code spec}) to a resource. */
final class DocumentBinder {
    static final List<String> TOP_LEVEL = List.of("apiVersion", "kind", "metadata", "spec");
    /** Spec record of each kind, in the order error messages list the kinds. */
    static final Map<String, Class<? extends Record>> SPECS = specs();

    private DocumentBinder() {
    }

    private static Map<String, Class<? extends Record>> specs() {
        Map<String, Class<? extends Record>> specs = new LinkedHashMap<>();
        specs.put("Sidecar", Sidecar.Spec.class);
        specs.put("Service", Service.Spec.class);
        specs.put("Route", Route.Spec.class);
        specs.put("AuthorizationPolicy", AuthorizationPolicy.Spec.class);
        return Collections.unmodifiableMap(specs);
    }

    /**
     * Binds {@code root}, appending every error found to {@code errors}.
     *
     * @param directory what relative file paths in it resolve against (the directory of its file); null leaves them
     *                  as written
     * @return the document, or null when its kind or metadata could not be read (nothing can refer to it then)
     */
    static LoadedDocument bind(String file, Node root, java.nio.file.Path directory, List<ConfigError> errors) {
        SourceMap.Builder where = new SourceMap.Builder(file);
        where.put("", root.getStartMark());
        RecordBinder binder = new RecordBinder(where, directory, errors);
        if (!(root instanceof MappingNode mapping)) {
            binder.error(root, "", "got " + RecordBinder.describe(root) + ", expected a mapping with fields: "
                    + String.join(", ", TOP_LEVEL));
            return null;
        }
        Map<String, Node> fields = binder.fields(mapping, "", TOP_LEVEL);
        checkApiVersion(binder, mapping, fields.get("apiVersion"));
        String kind = kind(binder, mapping, fields.get("kind"));
        Metadata metadata = metadata(binder, mapping, fields.get("metadata"));
        if (kind == null) {
            return null;
        }
        int before = binder.errorCount();
        Record spec = spec(binder, mapping, kind, fields.get("spec"));
        if (metadata == null) {
            return null;
        }
        Resource resource = binder.errorCount() > before ? null : resource(kind, metadata, spec);
        return new LoadedDocument(kind, metadata, resource, where.build());
    }

    private static void checkApiVersion(RecordBinder binder, MappingNode root, Node node) {
        if (RecordBinder.isAbsent(node)) {
            binder.error(node != null ? node : root, "apiVersion",
                    "missing required field 'apiVersion', expected " + Resource.API_VERSION);
        } else if (!(node instanceof ScalarNode scalar) || !scalar.getValue().equals(Resource.API_VERSION)) {
            binder.error(node, "apiVersion", "got " + RecordBinder.describe(node) + ", expected " + Resource.API_VERSION);
        }
    }

    private static String kind(RecordBinder binder, MappingNode root, Node node) {
        List<String> kinds = List.copyOf(SPECS.keySet());
        if (RecordBinder.isAbsent(node)) {
            binder.error(node != null ? node : root, "kind",
                    "missing required field 'kind', expected one of: " + String.join(", ", kinds));
            return null;
        }
        if (node instanceof ScalarNode scalar && SPECS.containsKey(scalar.getValue())) {
            return scalar.getValue();
        }
        String message = node instanceof ScalarNode scalar
                ? Spelling.unknown("kind '" + scalar.getValue() + "'", scalar.getValue(), kinds)
                : "got " + RecordBinder.describe(node) + ", expected one of: " + String.join(", ", kinds);
        binder.error(node, "kind", message);
        return null;
    }

    private static Metadata metadata(RecordBinder binder, MappingNode root, Node node) {
        if (RecordBinder.isAbsent(node)) {
            binder.error(node != null ? node : root, "metadata", "missing required field 'metadata', expected "
                    + RecordBinder.expected(Metadata.class, null));
            return null;
        }
        return (Metadata) binder.bind(node, Metadata.class, "metadata", null);
    }

    /** The bound spec; null when absent (a Sidecar then takes every default) or after reporting errors. */
    private static Record spec(RecordBinder binder, MappingNode root, String kind, Node node) {
        Class<? extends Record> type = SPECS.get(kind);
        if (RecordBinder.isAbsent(node)) {
            if (!kind.equals("Sidecar")) {
                binder.error(node != null ? node : root, "spec", "missing required field 'spec', expected "
                        + RecordBinder.expected(type, null));
            }
            return null;
        }
        return (Record) binder.bind(node, type, "spec", null);
    }

    private static Resource resource(String kind, Metadata metadata, Record spec) {
        return switch (kind) {
            case "Sidecar" -> new Sidecar(metadata, (Sidecar.Spec) spec);
            case "Service" -> new Service(metadata, (Service.Spec) spec);
            case "Route" -> new Route(metadata, (Route.Spec) spec);
            case "AuthorizationPolicy" -> new AuthorizationPolicy(metadata, (AuthorizationPolicy.Spec) spec);
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        };
    }
}
