package io.remora.config;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.error.Mark;

/**
 * Where each field of one bound document came from: its file position, or the environment variable that
 * overrode it. Turns a field path into a located {@link ConfigError}; a path with no position of its own (a field
 * that was absent and took its default) is placed at its nearest enclosing field.
 */
final class SourceMap {
    /** File name of errors that come from the environment. */
    static final String ENV = "env";

    /** 1-based line and column. */
    private record Position(int line, int column) {
    }

    private final String file;
    private final Map<String, Position> positions;
    private final Map<String, String> overrides;

    private SourceMap(String file, Map<String, Position> positions, Map<String, String> overrides) {
        this.file = file;
        this.positions = Map.copyOf(positions);
        this.overrides = Map.copyOf(overrides);
    }

    /** A map for a resource that exists only because of environment overrides. */
    static SourceMap env() {
        return new SourceMap(ENV, Map.of(), Map.of());
    }

    /** The same map, with the field at {@code path} (and everything inside it) set by {@code variable}. */
    SourceMap withOverride(String path, String variable) {
        Map<String, String> copy = new LinkedHashMap<>(overrides);
        copy.put(path, variable);
        return new SourceMap(file, positions, copy);
    }

    /** The file the document came from ({@code env} for one made from the environment). */
    String file() {
        return file;
    }

    /** An error about the field at {@code path}, located at that field or the nearest enclosing one. */
    ConfigError error(String path, String message) {
        String variable = overrideOf(path);
        if (variable != null) {
            return new ConfigError(ENV, 0, 0, variable, message);
        }
        Position position = positionOf(path);
        return new ConfigError(file, position.line(), position.column(), path, message);
    }

    /** {@code file:line:col} of the field at {@code path} (or {@code env REMORA_...}), for naming a second place. */
    String describe(String path) {
        String variable = overrideOf(path);
        if (variable != null) {
            return ENV + " " + variable;
        }
        Position position = positionOf(path);
        return position.line() > 0 ? file + ":" + position.line() + ":" + position.column() : file;
    }

    /** Whether the field at {@code path} was written in the file or set by the environment (not defaulted). */
    boolean isGiven(String path) {
        return overrideOf(path) != null || positions.containsKey(path);
    }

    private String overrideOf(String path) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (FieldPaths.within(path, e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }

    private Position positionOf(String path) {
        String p = path;
        while (true) {
            Position position = positions.get(p);
            if (position != null) {
                return position;
            }
            if (p.isEmpty()) {
                return new Position(0, 0);
            }
            p = FieldPaths.parent(p);
        }
    }

    /** Collects positions while a document is bound. */
    static final class Builder {
        private final String file;
        private final Map<String, Position> positions = new HashMap<>();

        Builder(String file) {
            this.file = file;
        }

        String file() {
            return file;
        }

        void put(String path, Mark mark) {
            positions.putIfAbsent(path, new Position(mark.getLine() + 1, mark.getColumn() + 1));
        }

        SourceMap build() {
            return new SourceMap(file, positions, Map.of());
        }
    }
}
