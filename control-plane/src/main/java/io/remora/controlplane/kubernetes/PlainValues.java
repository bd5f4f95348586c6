package io.remora.controlplane.kubernetes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deep copies of the JSON-shaped values the API client gives for custom objects (maps, lists, strings, numbers,
 * booleans). Informer caches hand out the very objects they keep, so anything this source changes (an endpoint
 * list filled in) is changed on a copy.
 */
final class PlainValues {
    private PlainValues() {
    }

    /** A mutable deep copy of {@code map} with string keys, or null for null. */
    static Map<String, Object> copyMap(Map<?, ?> map) {
        if (map == null) {
            return null;
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(String.valueOf(k), copy(v)));
        return copy;
    }

    /** A deep copy of a JSON-shaped value; scalars are immutable and kept as they are. */
    static Object copy(Object value) {
        if (value instanceof Map<?, ?> m) {
            return copyMap(m);
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            for (Object o : l) {
                copy.add(copy(o));
            }
            return copy;
        }
        return value;
    }

    /** An unmodifiable deep copy of a JSON-shaped value, for immutable records; order and nulls are kept. */
    static Object frozen(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(String.valueOf(k), frozen(v)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            for (Object o : l) {
                copy.add(frozen(o));
            }
            return Collections.unmodifiableList(copy);
        }
        return value;
    }

    /** True when {@code key} is absent, null, or an empty list: the field is not set. */
    static boolean isUnset(Map<String, Object> map, String key) {
        Object value = map.get(key);
        return value == null || (value instanceof List<?> l && l.isEmpty());
    }
}
