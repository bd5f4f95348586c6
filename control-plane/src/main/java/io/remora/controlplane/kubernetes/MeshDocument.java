package io.remora.controlplane.kubernetes;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One resource in the config-file schema, built from API objects. It holds exactly the envelope a file has
 * ({@code apiVersion}, {@code kind}, {@code metadata: {name, namespace, labels}}, {@code spec}), so the shared
 * validator checks an API object the same way as a file, and nothing of the API's own bookkeeping (status, uid,
 * resourceVersion, annotations) reaches it, where it would be an unknown field.
 *
 * @param kind      the Remora kind ({@code Service}, {@code Route}, {@code AuthorizationPolicy})
 * @param name      metadata.name
 * @param namespace metadata.namespace
 * @param labels    metadata.labels, empty when none
 * @param spec      the spec as plain maps, lists and scalars (usually a map; whatever the object holds, so the
 *                  validator can name a spec that is not one); null when the object has none
 */
record MeshDocument(String kind, String name, String namespace, Map<String, String> labels, Object spec) {

    MeshDocument {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        spec = PlainValues.frozen(spec);
    }

    /** The spec when it is a mapping (a copy: documents never share mutable parts), else null. */
    Map<String, Object> specMap() {
        return spec instanceof Map<?, ?> m ? PlainValues.copyMap(m) : null;
    }

    /** The same resource with another spec. */
    MeshDocument withSpec(Map<String, Object> newSpec) {
        return new MeshDocument(kind, name, namespace, labels, newSpec);
    }

    /** The YAML mapping of this document, keys in the order files write them. */
    Map<String, Object> toMap() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", name);
        metadata.put("namespace", namespace);
        if (!labels.isEmpty()) {
            metadata.put("labels", new java.util.TreeMap<>(labels));
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("apiVersion", MeshCrd.API_VERSION);
        document.put("kind", kind);
        document.put("metadata", metadata);
        if (spec != null) {
            document.put("spec", spec);
        }
        return document;
    }

    /** UTF-8 YAML of {@code documents}, separated by {@code ---}, block style so errors have useful lines and
     * without anchors (a value shared by two documents is written out twice, as a person would). */
    static byte[] yaml(List<MeshDocument> documents) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setExplicitStart(true);
        options.setSplitLines(false);
        options.setDereferenceAliases(true);
        List<Object> maps = new ArrayList<>(documents.size());
        for (MeshDocument d : documents) {
            maps.add(d.toMap());
        }
        return new Yaml(options).dumpAll(maps.iterator()).getBytes(StandardCharsets.UTF_8);
    }
}
