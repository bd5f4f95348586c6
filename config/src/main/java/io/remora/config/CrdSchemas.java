package io.remora.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI v3 schema of a resource's spec, derived from the same records and field rules the YAML binder uses, so
 * the CRDs in {@code deploy/kubernetes/crds.yaml} cannot drift from what the validator accepts (a test compares
 * them). The schema is structural, as Kubernetes requires: every field typed, records closed (the API server then
 * warns about, and drops, a misspelled field, as the validator reports it), lists and maps typed by their elements.
 * Ranges come from {@link FieldRules}, enum spellings from {@link Scalars} (named, not enforced); what only the
 * validator can check
 * (references between resources, regexes) stays its job and is reported in the object's status.
 */
public final class CrdSchemas {
    private CrdSchemas() {
    }

    /** The schema of {@code type}, a record of the model. */
    public static Map<String, Object> of(Class<? extends Record> type) {
        return record(type);
    }

    private static Map<String, Object> record(Class<?> type) {
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) {
            FieldRules.Rule rule = FieldRules.of(type, c.getName());
            properties.put(c.getName(), schema(c.getGenericType(), rule.range()));
            if (rule.required()) {
                required.add(c.getName());
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        if (!required.isEmpty()) {
            s.put("required", required);
        }
        s.put("properties", properties);
        return s;
    }

    private static Map<String, Object> schema(Type type, IntRange range) {
        if (type instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            if (p.getRawType() == List.class) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("type", "array");
                s.put("items", schema(args[0], range));
                return s;
            }
            if (p.getRawType() == Map.class) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("type", "object");
                s.put("additionalProperties", schema(args[1], range));
                return s;
            }
            throw new IllegalArgumentException("no schema for " + type);
        }
        Class<?> c = (Class<?>) type;
        Map<String, Object> s = new LinkedHashMap<>();
        if (c == String.class) {
            s.put("type", "string");
        } else if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
            s.put("type", "integer");
            if (range != null) {
                s.put("minimum", range.min());
                s.put("maximum", range.max());
            }
        } else if (c == boolean.class || c == Boolean.class) {
            s.put("type", "boolean");
        } else if (c == double.class || c == Double.class) {
            s.put("type", "number");
        } else if (c == Duration.class) {
            s.put("type", "string");
            s.put("description", "a duration: 250ms, 5s, 1m30s");
        } else if (c == HostPort.class) {
            s.put("type", "string");
            s.put("description", "host:port ([v6]:port for IPv6)");
        } else if (c.isEnum()) {
            // Named, not enforced: the binder takes any letter case (UNAVAILABLE as well as unavailable).
            s.put("type", "string");
            s.put("description", "one of: " + String.join(", ",
                    Arrays.stream(c.getEnumConstants()).map(e -> Scalars.name((Enum<?>) e)).toList()));
        } else if (c.isRecord()) {
            return record(c);
        } else {
            throw new IllegalArgumentException("no schema for " + c.getName());
        }
        return s;
    }
}
