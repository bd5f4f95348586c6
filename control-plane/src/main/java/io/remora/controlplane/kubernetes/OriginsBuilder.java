package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Builds the source's whole content from what the informers hold: one origin per Remora custom object
 * ({@code routes.remora.io/shop/reviews}) and one per translated Kubernetes Service ({@code services/shop/reviews}),
 * each the YAML a config file would hold. A pure function of its inputs, so it runs the same in tests as behind
 * informers, and the same input always gives the same bytes (an unchanged cluster is recognised as unchanged).
 *
 * <p>A Remora Service object ({@code services.remora.io}) with the namespace and name of a translated Kubernetes
 * Service takes its place: users write one to add traffic policy or subsets to a Kubernetes Service. The fields it
 * leaves unset ({@code hosts}, {@code addresses}, {@code protocol}, {@code endpoints}) are filled in from the
 * translation, so it keeps following the EndpointSlices; what it sets wins. A translated extra-port Service whose
 * name ({@code reviews-grpc}) is also the name of a real Kubernetes Service in the namespace is left out: the real
 * one keeps the name.
 */
final class OriginsBuilder {
    /** Fields of a translated Service copied into a Remora Service object that leaves them unset. */
    private static final List<String> FILLED_FIELDS = List.of("hosts", "addresses", "protocol", "endpoints");

    /** The origin of the documents translated from one Kubernetes Service: {@code services/shop/reviews}. */
    static String serviceOrigin(String namespace, String name) {
        return "services/" + namespace + "/" + name;
    }

    /** What the informers hold at one moment. */
    record Inputs(Map<MeshCrd, List<GenericKubernetesResource>> objects, List<Service> services,
                  List<EndpointSlice> slices, ServiceTranslator.Pods pods) {
    }

    private final ServiceTranslator translator;

    OriginsBuilder(ServiceTranslator translator) {
        this.translator = translator;
    }

    /** Origin → YAML bytes, sorted by origin. */
    SortedMap<String, byte[]> build(Inputs inputs) {
        Map<String, List<MeshDocument>> documents = new TreeMap<>();
        Map<String, String> remoraServiceOrigins = new HashMap<>();
        for (MeshCrd crd : MeshCrd.values()) {
            for (GenericKubernetesResource object : inputs.objects().getOrDefault(crd, List.of())) {
                ObjectMeta meta = object.getMetadata();
                String origin = crd.origin(meta.getNamespace(), meta.getName());
                documents.put(origin, new ArrayList<>(List.of(document(crd, object))));
                if (crd == MeshCrd.SERVICE) {
                    remoraServiceOrigins.put(key(meta.getNamespace(), meta.getName()), origin);
                }
            }
        }
        Map<String, List<EndpointSlice>> slicesByService = slicesByService(inputs.slices());
        Set<String> kubernetesServices = new HashSet<>();
        for (Service s : inputs.services()) {
            kubernetesServices.add(key(s.getMetadata().getNamespace(), s.getMetadata().getName()));
        }
        List<Service> services = new ArrayList<>(inputs.services());
        services.sort(Comparator.comparing((Service s) -> s.getMetadata().getNamespace())
                .thenComparing(s -> s.getMetadata().getName()));
        for (Service service : services) {
            String namespace = service.getMetadata().getNamespace();
            String name = service.getMetadata().getName();
            List<EndpointSlice> slices = slicesByService.getOrDefault(key(namespace, name), List.of());
            List<MeshDocument> own = new ArrayList<>();
            for (MeshDocument translated : translator.translate(service, slices, inputs.pods())) {
                String key = key(namespace, translated.name());
                boolean extraPort = !translated.name().equals(name);
                if (extraPort && kubernetesServices.contains(key)) {
                    continue;
                }
                String override = remoraServiceOrigins.get(key);
                if (override != null) {
                    List<MeshDocument> overriding = documents.get(override);
                    overriding.set(0, filled(overriding.get(0), translated));
                } else {
                    own.add(translated);
                }
            }
            if (!own.isEmpty()) {
                documents.put(serviceOrigin(namespace, name), own);
            }
        }
        SortedMap<String, byte[]> origins = new TreeMap<>();
        documents.forEach((origin, docs) -> origins.put(origin, MeshDocument.yaml(docs)));
        return origins;
    }

    /** The config-file form of a custom object: its name, namespace, labels and spec, nothing else. */
    static MeshDocument document(MeshCrd crd, GenericKubernetesResource object) {
        ObjectMeta meta = object.getMetadata();
        return new MeshDocument(crd.kind(), meta.getName(), meta.getNamespace(), meta.getLabels(),
                object.getAdditionalProperties().get("spec"));
    }

    /** {@code object} with the fields it leaves unset taken from the translation of the Kubernetes Service. */
    private static MeshDocument filled(MeshDocument object, MeshDocument translated) {
        Map<String, Object> spec = object.specMap();
        Map<String, Object> from = translated.specMap();
        if (spec == null) {
            return object; // not a mapping: the validator says so, nothing to fill
        }
        Map<String, Object> result = new LinkedHashMap<>(spec);
        for (String field : FILLED_FIELDS) {
            if (PlainValues.isUnset(spec, field) && from.containsKey(field)) {
                result.put(field, from.get(field));
            }
        }
        return object.withSpec(result);
    }

    private static Map<String, List<EndpointSlice>> slicesByService(List<EndpointSlice> slices) {
        Map<String, List<EndpointSlice>> byService = new HashMap<>();
        for (EndpointSlice slice : slices) {
            Map<String, String> labels = slice.getMetadata().getLabels();
            String service = labels == null ? null : labels.get(ServiceTranslator.SERVICE_NAME_LABEL);
            if (service != null) {
                byService.computeIfAbsent(key(slice.getMetadata().getNamespace(), service), k -> new ArrayList<>())
                        .add(slice);
            }
        }
        return byService;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }
}
