package io.remora.injector;

import java.util.ArrayList;
import java.util.List;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.databind.JsonNode;

/** YAML documents as JSON trees, for comparing manifests by value. */
final class Yaml {
    private Yaml() {
    }

    static List<JsonNode> trees(String text) {
        List<JsonNode> out = new ArrayList<>();
        for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromString(text)) {
            out.add(Json.MAPPER.valueToTree(doc));
        }
        return out;
    }
}
