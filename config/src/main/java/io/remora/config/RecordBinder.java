package io.remora.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Binds YAML nodes to the model's records by reflection: YAML keys are record component names, an absent field is
 * passed to the canonical constructor as null (or the {@link FieldRules} value for primitives) so the compact
 * constructors apply the defaults. Every problem is appended to the shared error list and binding carries on, so
 * one pass reports them all; a value that had an error in it binds to null. A file path field
 * ({@link FieldRules#isFilePath}) that is relative is resolved against the directory of the file it is written in.
 */
final class RecordBinder {
    private final String file;
    private final SourceMap.Builder where;
    private final List<ConfigError> errors;
    private final Path directory;

    /** @param directory what relative file paths resolve against; null leaves them as written */
    RecordBinder(SourceMap.Builder where, Path directory, List<ConfigError> errors) {
        this.file = where.file();
        this.where = where;
        this.directory = directory;
        this.errors = errors;
    }

    /**
     * Binds {@code node} (present and not null) to {@code type}: a record, {@code List<T>}, {@code Map<String, T>}
     * or a scalar type.
     *
     * @param range accepted integers, for an int or a list of ints; null means any int
     * @return the value, or null after appending the errors found in it
     */
    Object bind(Node node, Type type, String path, IntRange range) {
        where.put(path, node.getStartMark());
        if (type instanceof ParameterizedType parameterized) {
            Type[] args = parameterized.getActualTypeArguments();
            if (parameterized.getRawType() == List.class) {
                return bindList(node, type, args[0], path, range);
            }
            if (parameterized.getRawType() == Map.class && args[0] == String.class) {
                return bindMap(node, type, args[1], path, range);
            }
        } else if (type instanceof Class<?> c) {
            if (Scalars.isScalar(c)) {
                return bindScalar(node, c, path, range);
            }
            if (c.isRecord()) {
                return bindRecord(node, c.asSubclass(Record.class), path);
            }
        }
        throw new IllegalStateException("the config model has a type the binder does not support: " + type);
    }

    /**
     * The fields of a mapping by name, in order; reports keys that are not plain scalars, are not in {@code known}
     * (with a did-you-mean) or appear twice. Records each field's position.
     */
    Map<String, Node> fields(MappingNode node, String path, List<String> known) {
        Map<String, Node> fields = new LinkedHashMap<>();
        Map<String, Mark> firstSeen = new HashMap<>();
        for (NodeTuple tuple : node.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode key)) {
                error(keyNode, path, "got " + describe(keyNode) + " as a field name, expected one of: "
                        + String.join(", ", known));
                continue;
            }
            String name = key.getValue();
            String fieldPath = FieldPaths.field(path, name);
            if (!known.contains(name)) {
                error(keyNode, fieldPath, Spelling.unknown("field '" + name + "'", name, known));
            } else if (firstSeen.containsKey(name)) {
                error(keyNode, fieldPath, "duplicate field '" + name + "' (first given at "
                        + position(firstSeen.get(name)) + "), expected each field once");
            } else {
                fields.put(name, tuple.getValueNode());
                firstSeen.put(name, keyNode.getStartMark());
                where.put(fieldPath, tuple.getValueNode().getStartMark());
            }
        }
        return fields;
    }

    /** Appends an error located at {@code node}. */
    void error(Node node, String path, String message) {
        Mark mark = node.getStartMark();
        errors.add(new ConfigError(file, mark.getLine() + 1, mark.getColumn() + 1, path, message));
    }

    /** Number of errors so far; a caller compares it before and after binding to see whether a value failed. */
    int errorCount() {
        return errors.size();
    }

    /** An absent field: no node, or an explicit null ({@code ~}, {@code null} or nothing after the colon). */
    static boolean isAbsent(Node node) {
        return node == null || (node instanceof ScalarNode && node.getTag().equals(Tag.NULL));
    }

    /** A node as an error message names it: a scalar by its quoted text, otherwise by its kind. */
    static String describe(Node node) {
        if (node instanceof ScalarNode scalar) {
            return node.getTag().equals(Tag.NULL) ? "null" : quote(scalar.getValue());
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    /** What an error says was expected for a value of {@code type}. */
    static String expected(Type type, IntRange range) {
        if (type instanceof ParameterizedType parameterized) {
            Type[] args = parameterized.getActualTypeArguments();
            if (parameterized.getRawType() == List.class) {
                return "a list of " + plural(args[0]);
            }
            return "a mapping of names to " + plural(args[1]);
        }
        Class<?> c = (Class<?>) type;
        if (Scalars.isScalar(c)) {
            return Scalars.expected(c, range);
        }
        return "a mapping with fields: " + String.join(", ", componentNames(c));
    }

    static List<String> componentNames(Class<?> recordType) {
        return Arrays.stream(recordType.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    /** Double-quoted, with quotes, backslashes and control characters escaped, cut after 80 characters. */
    static String quote(String text) {
        StringBuilder sb = new StringBuilder("\"");
        int limit = Math.min(text.length(), 80);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        if (text.length() > limit) {
            sb.append("...");
        }
        return sb.append('"').toString();
    }

    private Object bindRecord(Node node, Class<? extends Record> type, String path) {
        if (!(node instanceof MappingNode mapping)) {
            typeError(node, path, type, null);
            return null;
        }
        int before = errors.size();
        RecordComponent[] components = type.getRecordComponents();
        Map<String, Node> given = fields(mapping, path, componentNames(type));
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent component = components[i];
            FieldRules.Rule rule = FieldRules.of(type, component.getName());
            String fieldPath = FieldPaths.field(path, component.getName());
            Node value = given.get(component.getName());
            if (isAbsent(value)) {
                if (rule.required()) {
                    error(value != null ? value : mapping, fieldPath, "missing required field '" + component.getName()
                            + "', expected " + expected(component.getGenericType(), rule.range()));
                }
                args[i] = FieldRules.absentValue(type, component);
            } else {
                args[i] = bind(value, component.getGenericType(), fieldPath, rule.range());
                if (args[i] instanceof String written && FieldRules.isFilePath(type, component.getName())) {
                    args[i] = resolve(written);
                }
            }
        }
        if (errors.size() > before) {
            return null;
        }
        try {
            return Records.construct(type, args);
        } catch (IllegalArgumentException | NullPointerException e) {
            error(mapping, path, "invalid " + type.getSimpleName() + ": " + e.getMessage());
            return null;
        }
    }

    /** A relative path against the file's directory, as kubeconfig resolves its paths; others as written. */
    private String resolve(String path) {
        if (directory == null || path.isBlank()) {
            return path;
        }
        try {
            Path p = Path.of(path);
            return p.isAbsolute() ? path : directory.resolve(p).normalize().toString();
        } catch (InvalidPathException e) {
            return path; // the validator names it as a file that cannot be read
        }
    }

    private Object bindList(Node node, Type listType, Type elementType, String path, IntRange range) {
        if (!(node instanceof SequenceNode sequence)) {
            typeError(node, path, listType, range);
            return null;
        }
        List<Object> items = new ArrayList<>();
        List<Node> nodes = sequence.getValue();
        for (int i = 0; i < nodes.size(); i++) {
            Node item = nodes.get(i);
            String itemPath = FieldPaths.index(path, i);
            if (isAbsent(item)) {
                where.put(itemPath, item.getStartMark());
                error(item, itemPath, "got null, expected " + expected(elementType, range));
                continue;
            }
            items.add(bind(item, elementType, itemPath, range));
        }
        return items;
    }

    private Object bindMap(Node node, Type mapType, Type valueType, String path, IntRange range) {
        if (!(node instanceof MappingNode mapping)) {
            typeError(node, path, mapType, range);
            return null;
        }
        Map<String, Object> entries = new LinkedHashMap<>();
        Map<String, Mark> firstSeen = new HashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode key) || isAbsent(keyNode)) {
                error(keyNode, path, "got " + describe(keyNode) + " as a key, expected a name");
                continue;
            }
            String entryPath = FieldPaths.key(path, key.getValue());
            Node value = tuple.getValueNode();
            if (firstSeen.containsKey(key.getValue())) {
                error(keyNode, entryPath, "duplicate key " + quote(key.getValue()) + " (first given at "
                        + position(firstSeen.get(key.getValue())) + "), expected each key once");
                continue;
            }
            firstSeen.put(key.getValue(), keyNode.getStartMark());
            if (isAbsent(value)) {
                where.put(entryPath, value.getStartMark());
                error(value, entryPath, "got null, expected " + expected(valueType, range));
                continue;
            }
            entries.put(key.getValue(), bind(value, valueType, entryPath, range));
        }
        return entries;
    }

    private Object bindScalar(Node node, Class<?> type, String path, IntRange range) {
        if (!(node instanceof ScalarNode scalar)) {
            typeError(node, path, type, range);
            return null;
        }
        try {
            return Scalars.convert(scalar.getValue(), type, range);
        } catch (IllegalArgumentException e) {
            error(node, path, "got " + quote(scalar.getValue()) + ", " + e.getMessage());
            return null;
        }
    }

    private void typeError(Node node, String path, Type type, IntRange range) {
        error(node, path, "got " + describe(node) + ", expected " + expected(type, range));
    }

    private static String plural(Type type) {
        if (type == String.class) {
            return "strings";
        }
        if (type == Integer.class) {
            return "integers";
        }
        if (type == HostPort.class) {
            return "host:port values";
        }
        if (type == Duration.class) {
            return "durations";
        }
        return type instanceof Class<?> c && c.isRecord() ? "mappings" : "values";
    }

    private static String position(Mark mark) {
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }
}
