package io.remora.injector;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small helpers over Jackson trees: literal objects and arrays, get-or-create, string maps. */
final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    /** An object from alternating keys and values (String, Integer, Long, Boolean, JsonNode, List); nulls skipped. */
    static ObjectNode object(Object... keyValues) {
        ObjectNode o = NODES.objectNode();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            if (v != null) {
                o.set((String) keyValues[i], node(v));
            }
        }
        return o;
    }

    static ArrayNode array(Object... values) {
        ArrayNode a = NODES.arrayNode();
        for (Object v : values) {
            a.add(node(v));
        }
        return a;
    }

    private static JsonNode node(Object v) {
        if (v instanceof JsonNode n) {
            return n;
        } else if (v instanceof String s) {
            return NODES.stringNode(s);
        } else if (v instanceof Integer n) {
            return NODES.numberNode(n);
        } else if (v instanceof Long n) {
            return NODES.numberNode(n);
        } else if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        } else if (v instanceof List<?> list) {
            return array(list.toArray());
        }
        throw new IllegalArgumentException("not a JSON value: " + v.getClass());
    }

    /** The object at {@code field}, created (or replacing a non-object) when missing. */
    static ObjectNode obj(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return parent.putObject(field);
    }

    /** The array at {@code field}, created (or replacing a non-array) when missing. */
    static ArrayNode arr(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n instanceof ArrayNode a) {
            return a;
        }
        return parent.putArray(field);
    }

    /** A string-valued map ({@code labels}, {@code annotations}); non-string values as their text. */
    static Map<String, String> strings(JsonNode map) {
        Map<String, String> out = new LinkedHashMap<>();
        if (map != null && map.isObject()) {
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                out.put(e.getKey(), e.getValue().isString() ? e.getValue().stringValue() : e.getValue().toString());
            }
        }
        return out;
    }

    /** The text at {@code field}, or "" when absent or not a string. */
    static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v != null && v.isString() ? v.stringValue() : "";
    }
}
