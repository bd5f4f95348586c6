package io.remora.controlplane.mesh;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Splits validated YAML sources into one text per resource, so a sidecar's snapshot can carry exactly the
 * resources it needs. Each document is written out again from its parsed form (comments dropped), which the
 * sidecar reads back with the same loader.
 */
final class ResourceTexts {
    private ResourceTexts() {
    }

    /** Adds each document of {@code bytes} to {@code out}, keyed by kind, namespace and name. */
    static void split(byte[] bytes, String defaultNamespace, Map<ResourceKey, String> out) {
        Yaml yaml = new Yaml(new LoaderOptions());
        for (Node root : yaml.composeAll(new StringReader(new String(bytes, StandardCharsets.UTF_8)))) {
            if (!(root instanceof MappingNode mapping)) {
                continue;
            }
            String kind = scalar(mapping, "kind");
            MappingNode metadata = mapping(mapping, "metadata");
            String name = metadata == null ? null : scalar(metadata, "name");
            String namespace = metadata == null ? null : scalar(metadata, "namespace");
            if (kind == null || name == null) {
                continue; // cannot happen for a validated source
            }
            java.io.StringWriter text = new java.io.StringWriter();
            yaml.serialize(root, text);
            out.put(new ResourceKey(kind, namespace == null ? defaultNamespace : namespace, name), text.toString());
        }
    }

    private static Node value(MappingNode mapping, String key) {
        for (NodeTuple tuple : mapping.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                return tuple.getValueNode();
            }
        }
        return null;
    }

    private static String scalar(MappingNode mapping, String key) {
        return value(mapping, key) instanceof ScalarNode s ? s.getValue() : null;
    }

    private static MappingNode mapping(MappingNode mapping, String key) {
        return value(mapping, key) instanceof MappingNode m ? m : null;
    }
}
