package io.remora.config;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Environment overrides of the Sidecar spec. The variable of a field is {@code REMORA_} followed by its path under
 * {@code spec} in upper snake case, camelCase split at each capital and nesting joined by {@code _}:
 * {@code drainTime} is {@code REMORA_DRAIN_TIME}, {@code inbound.appProtocol} is {@code REMORA_INBOUND_APP_PROTOCOL}.
 * Every scalar field is covered; list fields are not. Values use the same syntax as in files; an empty value counts
 * as not set.
 */
final class EnvOverrides {
    static final String PREFIX = "REMORA_";

    /**
     * One overridable field.
     *
     * @param variable environment variable name
     * @param path     component names under {@code spec}, outermost first
     * @param type     the field's scalar type
     * @param range    accepted integers for an int field, else null
     */
    record Setting(String variable, List<String> path, Class<?> type, IntRange range) {
        /** The field path as errors print it, e.g. {@code spec.inbound.app}. */
        String fieldPath() {
            return "spec." + String.join(".", path);
        }
    }

    /**
     * One override found in the environment.
     *
     * @param text  the variable's value as given
     * @param value the converted value
     */
    record Override(Setting setting, String text, Object value) {
    }

    /** Every setting, in the Sidecar spec's declaration order. */
    static final List<Setting> SETTINGS = List.copyOf(settings(Sidecar.Spec.class, List.of()));

    private EnvOverrides() {
    }

    /**
     * The overrides set in {@code env}, sorted by variable; unknown {@code REMORA_} variables (other than
     * {@code ignored}) and values that do not convert are appended to {@code errors}.
     */
    static List<Override> read(Map<String, String> env, Set<String> ignored, List<ConfigError> errors) {
        Map<String, Setting> byVariable = new TreeMap<>();
        for (Setting setting : SETTINGS) {
            byVariable.put(setting.variable(), setting);
        }
        List<String> variables = SETTINGS.stream().map(Setting::variable).toList();
        List<Override> overrides = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String variable = e.getKey();
            String text = e.getValue();
            if (!variable.startsWith(PREFIX) || ignored.contains(variable)) {
                continue;
            }
            Setting setting = byVariable.get(variable);
            if (setting == null) {
                errors.add(new ConfigError(SourceMap.ENV, 0, 0, variable, 
                        Spelling.unknown("setting " + variable, variable, variables)));
                continue;
            }
            if (text == null || text.isEmpty()) {
                continue;
            }
            try {
                overrides.add(new Override(setting, text, Scalars.convert(text, setting.type(), setting.range())));
            } catch (IllegalArgumentException ex) {
                errors.add(new ConfigError(SourceMap.ENV, 0, 0, variable,
                        "got " + RecordBinder.quote(text) + ", " + ex.getMessage()));
            }
        }
        return overrides;
    }

    /** {@code sidecar} with every override applied; a nested block that is absent is created with its defaults. */
    static Sidecar apply(Sidecar sidecar, List<Override> overrides) {
        Sidecar.Spec spec = sidecar.spec();
        for (Override o : overrides) {
            spec = Records.with(spec, o.setting().path(), o.value());
        }
        return new Sidecar(sidecar.metadata(), spec);
    }

    /** {@code where} with each overridden field attributed to its variable. */
    static SourceMap attribute(SourceMap where, List<Override> overrides) {
        SourceMap result = where;
        for (Override o : overrides) {
            result = result.withOverride(o.setting().fieldPath(), o.setting().variable());
        }
        return result;
    }

    /** {@code maxHeaderBytes} → {@code MAX_HEADER_BYTES}. */
    static String upperSnake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (Character.isUpperCase(c) && i > 0) {
                sb.append('_');
            }
            sb.append(c);
        }
        return sb.toString().toUpperCase(Locale.ROOT);
    }

    private static List<Setting> settings(Class<?> recordType, List<String> prefix) {
        List<Setting> settings = new ArrayList<>();
        for (RecordComponent component : recordType.getRecordComponents()) {
            List<String> path = new ArrayList<>(prefix);
            path.add(component.getName());
            Class<?> type = component.getType();
            if (Scalars.isScalar(type)) {
                String variable = PREFIX + String.join("_", path.stream().map(EnvOverrides::upperSnake).toList());
                settings.add(new Setting(variable, List.copyOf(path), type,
                        FieldRules.of(recordType, component.getName()).range()));
            } else if (type.isRecord()) {
                settings.addAll(settings(type, path));
            }
        }
        return settings;
    }
}
