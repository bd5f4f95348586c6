package io.remora.injector;

import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.events.DocumentEndEvent;
import org.snakeyaml.engine.v2.events.DocumentStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Kubernetes manifests through a pod transformation ({@code remora inject}): multi-document YAML and {@code List}s;
 * the pod of a Pod, and the pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
 * Job or CronJob ({@code spec.jobTemplate}). A document the transformation leaves alone is copied through byte for
 * byte (comments included); a changed one is written again as block YAML, the comments before it kept.
 */
public final class Manifests {
    /** Kinds whose pods are in {@code spec.template}. */
    static final Set<String> TEMPLATED = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
            "ReplicationController", "Job");

    /** A pod transformation: the changed pod, or empty to leave it. */
    @FunctionalInterface
    public interface PodTransform extends BiFunction<JsonNode, PodContext, Optional<JsonNode>> {
    }

    private Manifests() {
    }

    /**
     * Injection as {@code remora inject} does it: every pod counts as opted in (see {@link PodContext#optedIn}),
     * and each pod left without a sidecar, or given defaults for bad annotations, gets a line in {@code notes}.
     */
    public static PodTransform injecting(Injector injector, Consumer<String> notes) {
        return (pod, context) -> {
            Injection r = injector.inject(pod, PodContext.optedIn(context.namespace(), context.workload()));
            String who = describe(pod, context);
            if (r.outcome() != Injection.Outcome.INJECTED) {
                notes.accept(who + ": " + r.reason());
            }
            r.warnings().forEach(w -> notes.accept(who + ": " + w));
            return r.outcome() == Injection.Outcome.UNCHANGED ? Optional.empty() : Optional.of(r.pod());
        };
    }

    /** {@code remora inject --uninject}: the sidecar taken out of every injected pod. */
    public static PodTransform uninjecting() {
        return (pod, context) -> Injector.uninject(pod);
    }

    private static String describe(JsonNode pod, PodContext context) {
        String name = context.workload() != null ? context.workload() : Json.text(pod.path("metadata"), "name");
        return (context.namespace().isEmpty() ? "" : context.namespace() + "/") + (name.isEmpty() ? "pod" : name);
    }

    /** {@code text} with every pod in it passed through {@code transform}. */
    public static String transform(String file, String text, PodTransform transform) throws ManifestException {
        List<int[]> spans = documentSpans(file, text);
        List<Object> documents = new ArrayList<>();
        try {
            new Load(LoadSettings.builder().setLabel(file).build()).loadAllFromString(text).forEach(documents::add);
        } catch (MarkedYamlEngineException e) {
            throw error(file, e);
        } catch (YamlEngineException e) {
            throw new ManifestException(file + ": cannot read YAML: " + e.getMessage());
        }
        StringBuilder out = new StringBuilder(text.length() * 2);
        int at = 0;
        for (int i = 0; i < spans.size() && i < documents.size(); i++) {
            int[] span = spans.get(i);
            Object document = documents.get(i);
            Optional<JsonNode> changed = document == null ? Optional.empty()
                    : object(Json.MAPPER.valueToTree(document), transform);
            if (changed.isEmpty()) {
                continue; // copied through with the next changed document or the tail
            }
            out.append(text, at, span[0]);
            if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
                out.append('\n');
            }
            out.append(dump(changed.get()));
            at = span[1];
            // The document's own line break was written by the dump.
            if (at < text.length() && text.charAt(at) == '\n') {
                at++;
            }
        }
        out.append(text, at, text.length());
        return out.toString();
    }

    /** A Kubernetes object (or List) with its pods transformed, or empty when nothing changed. */
    static Optional<JsonNode> object(JsonNode doc, PodTransform transform) {
        if (!(doc instanceof ObjectNode o)) {
            return Optional.empty();
        }
        String kind = Json.text(o, "kind");
        String namespace = Json.text(o.path("metadata"), "namespace");
        String name = Json.text(o.path("metadata"), "name");
        if (o.get("items") instanceof ArrayNode items && kind.endsWith("List")) {
            ObjectNode copy = o.deepCopy();
            ArrayNode copied = (ArrayNode) copy.get("items");
            boolean changed = false;
            for (int i = 0; i < items.size(); i++) {
                Optional<JsonNode> item = object(items.get(i), transform);
                if (item.isPresent()) {
                    copied.set(i, item.get());
                    changed = true;
                }
            }
            return changed ? Optional.of(copy) : Optional.empty();
        }
        if (kind.equals("Pod")) {
            return transform.apply(o, new PodContext(namespace, java.util.Map.of(), null));
        }
        String[] path = TEMPLATED.contains(kind) ? new String[] {"spec", "template"}
                : kind.equals("CronJob") ? new String[] {"spec", "jobTemplate", "spec", "template"} : null;
        if (path == null) {
            return Optional.empty();
        }
        JsonNode template = o;
        for (String p : path) {
            template = template.path(p);
        }
        if (!(template instanceof ObjectNode)) {
            return Optional.empty();
        }
        Optional<JsonNode> pod = transform.apply(template, new PodContext(namespace, java.util.Map.of(), name));
        if (pod.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode copy = o.deepCopy();
        ObjectNode parent = copy;
        for (int i = 0; i < path.length - 1; i++) {
            parent = (ObjectNode) parent.get(path[i]);
        }
        parent.set(path[path.length - 1], pod.get());
        return Optional.of(copy);
    }

    /** Each document's root node [start, end) in characters, from the parser's marks; syntax errors as file:line:col. */
    private static List<int[]> documentSpans(String file, String text) throws ManifestException {
        List<int[]> spans = new ArrayList<>();
        int start = -1;
        try {
            for (Event e : new Parse(LoadSettings.builder().setLabel(file).build()).parseString(text)) {
                if (e instanceof DocumentStartEvent) {
                    start = -1;
                } else if (e instanceof DocumentEndEvent) {
                    int end = index(text, e.getEndMark());
                    spans.add(new int[] {start < 0 ? end : start, end});
                } else if (start < 0) {
                    start = index(text, e.getStartMark()); // the document's root node
                }
            }
        } catch (MarkedYamlEngineException e) {
            throw error(file, e);
        } catch (YamlEngineException e) {
            throw new ManifestException(file + ": cannot read YAML: " + e.getMessage());
        }
        return spans;
    }

    /** A mark's position as a char index (marks count code points). */
    private static int index(String text, Optional<Mark> mark) {
        int codePoints = mark.map(Mark::getIndex).orElse(0);
        return text.offsetByCodePoints(0, Math.min(codePoints, text.codePointCount(0, text.length())));
    }

    private static ManifestException error(String file, MarkedYamlEngineException e) {
        Optional<Mark> mark = e.getProblemMark().isPresent() ? e.getProblemMark() : e.getContextMark();
        String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
        StringBuilder m = new StringBuilder(file);
        mark.ifPresent(k -> m.append(':').append(k.getLine() + 1).append(':').append(k.getColumn() + 1));
        m.append(": YAML syntax error: ").append(problem == null ? "unreadable" : problem.trim());
        if (e.getContext() != null && e.getProblem() != null) {
            m.append(" (").append(e.getContext().trim());
            e.getContextMark().ifPresent(k -> m.append(" at ").append(k.getLine() + 1).append(':')
                    .append(k.getColumn() + 1));
            m.append(')');
        }
        return new ManifestException(m.toString());
    }

    /** A tree as block YAML, Kubernetes style (two-space indents, no line folding). */
    static String dump(JsonNode node) {
        DumpSettings settings = DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).setIndent(2)
                .setIndicatorIndent(2).setIndentWithIndicator(true).setSplitLines(false).setWidth(4096).build();
        return new Dump(settings).dumpToString(Json.MAPPER.convertValue(node, Object.class));
    }
}
