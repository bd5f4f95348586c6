package io.remora.config;

import java.util.regex.Pattern;

/** Field paths as errors print them: {@code spec.rules[0].backends[1].weight}, {@code labels["app.io/name"]}. */
final class FieldPaths {
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private FieldPaths() {
    }

    static String field(String parent, String name) {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** A map key: {@code .key} when it is plain, otherwise {@code ["key"]}. */
    static String key(String parent, String key) {
        if (PLAIN_KEY.matcher(key).matches()) {
            return field(parent, key);
        }
        return parent + "[\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"]";
    }

    /** The enclosing path ({@code a.b[2]} → {@code a.b} → {@code a} → empty); empty stays empty. */
    static String parent(String path) {
        if (path.endsWith("\"]")) {
            int open = path.lastIndexOf("[\"");
            return open < 0 ? "" : path.substring(0, open);
        }
        if (path.endsWith("]")) {
            return path.substring(0, path.lastIndexOf('['));
        }
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    /** Whether {@code path} is {@code ancestor} or lies inside it. */
    static boolean within(String path, String ancestor) {
        return path.equals(ancestor) || path.startsWith(ancestor + ".") || path.startsWith(ancestor + "[");
    }
}
