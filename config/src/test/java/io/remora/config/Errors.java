package io.remora.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helper: the formatted errors of loading a text that must be invalid. */
final class Errors {
    private Errors() {
    }

    static List<String> of(String yaml) {
        return of(yaml, Map.of());
    }

    static List<String> of(String yaml, Map<String, String> env) {
        List<String> formatted = new ArrayList<>();
        assertThatThrownBy(() -> ConfigLoader.parse("s.yaml", yaml, env))
                .isInstanceOfSatisfying(ConfigException.class,
                        e -> e.errors().forEach(error -> formatted.add(error.format())));
        return formatted;
    }
}
