package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.remora.config.ConfigLoader;
import io.remora.config.LoadBalancer;
import io.remora.config.Protocol;
import io.remora.config.Snapshot;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import static io.remora.controlplane.kubernetes.MockCluster.injectedPod;
import static io.remora.controlplane.kubernetes.MockCluster.pod;
import static io.remora.controlplane.kubernetes.MockCluster.port;
import static io.remora.controlplane.kubernetes.MockCluster.service;
import static io.remora.controlplane.kubernetes.MockCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

/** Kubernetes objects to Remora documents, without an API server: the rules of {@link OriginsBuilder}. */
class KubernetesTranslationTest {
    private final OriginsBuilder builder = new OriginsBuilder(new ServiceTranslator("example.org"));
    private final Map<MeshCrd, List<GenericKubernetesResource>> objects = new EnumMap<>(MeshCrd.class);
    private final List<Service> services = new ArrayList<>();
    private final List<EndpointSlice> slices = new ArrayList<>();
    private final Map<String, Pod> pods = new HashMap<>();

    private SortedMap<String, byte[]> build() {
        return builder.build(new OriginsBuilder.Inputs(objects, services, slices,
                (ns, name) -> pods.get(ns + "/" + name)));
    }

    private void addPod(Pod pod) {
        pods.put(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), pod);
    }

    private void addObject(MeshCrd crd, String namespace, String name, String spec) {
        objects.computeIfAbsent(crd, k -> new ArrayList<>()).add(MockCluster.object(crd, namespace, name, spec));
    }

    @Test
    void aRemoraServiceObjectTakesThePlaceOfTheKubernetesServiceAndKeepsFollowingItsEndpoints() throws Exception {
        services.add(service("shop", "reviews", "10.96.0.10", port("grpc", 9080)));
        addPod(injectedPod("shop", "reviews-v2-xyz", "reviews", Map.of("app", "reviews", "version", "v2")));
        slices.add(slice("shop", "reviews", "reviews-x1", "grpc", 9080, Map.of("10.1.0.7", "reviews-v2-xyz")));
        addObject(MeshCrd.SERVICE, "shop", "reviews", """
                trafficPolicy: {loadBalancer: round-robin}
                subsets:
                  - {name: v2, labels: {version: v2}}
                """);

        SortedMap<String, byte[]> origins = build();

        assertThat(origins).containsOnlyKeys("services.remora.io/shop/reviews");
        io.remora.config.Service reviews = load(origins).services().get(0);
        assertThat(reviews.spec().trafficPolicy().loadBalancer()).isEqualTo(LoadBalancer.ROUND_ROBIN);
        assertThat(reviews.spec().protocol()).isEqualTo(Protocol.GRPC);
        assertThat(reviews.spec().hosts()).containsExactly("reviews.shop.svc.cluster.local", "reviews.shop.svc");
        assertThat(reviews.spec().addresses()).extracting(Object::toString).containsExactly("10.96.0.10:9080");
        assertThat(reviews.spec().endpoints()).singleElement().satisfies(e -> {
            assertThat(e.address().toString()).isEqualTo("10.1.0.7:9080");
            assertThat(e.identity()).isEqualTo("spiffe://example.org/ns/shop/sa/reviews");
        });
        assertThat(reviews.spec().subsets()).extracting(io.remora.config.Service.Subset::name).containsExactly("v2");
    }

    @Test
    void whatTheRemoraServiceObjectSetsWins() throws Exception {
        services.add(service("shop", "reviews", "10.96.0.10", port("http", 9080)));
        slices.add(slice("shop", "reviews", "reviews-x1", "http", 9080, Map.of("10.1.0.7", "p")));
        addObject(MeshCrd.SERVICE, "shop", "reviews", """
                protocol: http2
                endpoints: [{address: 10.9.9.9:80}]
                """);

        io.remora.config.Service reviews = load(build()).services().get(0);

        assertThat(reviews.spec().protocol()).isEqualTo(Protocol.HTTP2);
        assertThat(reviews.spec().endpoints()).extracting(e -> e.address().toString()).containsExactly("10.9.9.9:80");
        assertThat(reviews.spec().addresses()).extracting(Object::toString).containsExactly("10.96.0.10:9080");
    }

    @Test
    void onlyReadyEndpointsCountOnceEachAndIpv6IsBracketed() throws Exception {
        services.add(service("shop", "web", "fd00::10", port("http", 80)));
        EndpointSlice a = slice("shop", "web", "web-a", "http", 8080, Map.of("fd00::1", "w1"));
        a.getEndpoints().add(new EndpointBuilder().withAddresses("fd00::2")
                .withNewConditions().withReady(false).endConditions().build());
        a.getEndpoints().add(new EndpointBuilder().withAddresses("fd00::3").build()); // no conditions: ready
        EndpointSlice b = slice("shop", "web", "web-b", "http", 8080, Map.of("fd00::1", "w1"));
        slices.add(b);
        slices.add(a);

        io.remora.config.Service web = load(build()).services().get(0);

        assertThat(web.spec().addresses()).extracting(Object::toString).containsExactly("[fd00::10]:80");
        assertThat(web.spec().endpoints()).extracting(e -> e.address().toString())
                .containsExactly("[fd00::1]:8080", "[fd00::3]:8080");
        assertThat(web.spec().endpoints()).allSatisfy(e -> assertThat(e.identity()).isNull());
    }

    @Test
    void aServiceScaledToZeroStaysWithoutEndpoints() throws Exception {
        services.add(service("shop", "web", "10.96.0.40", port("http", 80)));

        io.remora.config.Service web = load(build()).services().get(0);

        assertThat(web.key()).isEqualTo("web.shop");
        assertThat(web.spec().endpoints()).isEmpty();
    }

    @Test
    void extraPortsAreNamedByPortNameOrNumberAndARealServiceKeepsItsName() throws Exception {
        ServicePort unnamed = new ServicePortBuilder().withPort(8443).withProtocol("TCP").build();
        ServicePort dns = new ServicePortBuilder().withName("dns").withPort(53).withProtocol("UDP").build();
        services.add(service("shop", "api", "10.96.0.50", dns, port("http", 80), port("metrics", 9100), unnamed));
        services.add(service("shop", "api-metrics", "10.96.0.51", port("http", 9100)));

        Snapshot snapshot = load(build());

        assertThat(snapshot.services()).extracting(io.remora.config.Service::key)
                .containsExactly("api.shop", "api-8443.shop", "api-metrics.shop");
        assertThat(snapshot.services().get(2).spec().addresses()).extracting(Object::toString)
                .containsExactly("10.96.0.51:9100");
    }

    @Test
    void onlyAPodWithASidecarGetsAnIdentitySoCallersReachPlainPodsInPlaintext() throws Exception {
        services.add(service("shop", "web", "10.96.0.40", port("http", 80)));
        addPod(injectedPod("shop", "w1", "web", Map.of("app", "web")));
        addPod(pod("shop", "w2", "web", Map.of("app", "web")));
        addPod(pod("shop", "w3", "web", Map.of("app", "web", "security.remora.io/tlsMode", "disabled")));
        slices.add(slice("shop", "web", "web-a", "http", 8080,
                Map.of("10.1.0.1", "w1", "10.1.0.2", "w2", "10.1.0.3", "w3")));

        assertThat(load(build()).services().get(0).spec().endpoints())
                .extracting(e -> e.address().toString() + " " + e.identity())
                .containsExactly("10.1.0.1:8080 spiffe://example.org/ns/shop/sa/web", "10.1.0.2:8080 null",
                        "10.1.0.3:8080 null");
    }

    @Test
    void aPodWithoutServiceAccountRunsAsDefault() throws Exception {
        services.add(service("shop", "web", "10.96.0.40", port("http", 80)));
        addPod(injectedPod("shop", "w1", null, Map.of("app", "web")));
        slices.add(slice("shop", "web", "web-a", "http", 8080, Map.of("10.1.0.1", "w1")));

        assertThat(load(build()).services().get(0).spec().endpoints().get(0).identity())
                .isEqualTo("spiffe://example.org/ns/shop/sa/default");
    }

    @Test
    void theSameClusterGivesTheSameBytesWhateverTheOrder() {
        services.add(service("shop", "a", "10.96.0.1", port("http", 80)));
        services.add(service("shop", "b", "10.96.0.2", port("http", 80)));
        slices.add(slice("shop", "a", "a-1", "http", 80, Map.of("10.1.0.1", "p1", "10.1.0.2", "p2", "10.1.0.3", "p3")));
        slices.add(slice("shop", "a", "a-2", "http", 80, Map.of("10.1.0.4", "p4")));
        addObject(MeshCrd.ROUTE, "shop", "r", "services: [a.shop]\nrules: [{backends: [{service: a.shop}]}]");
        SortedMap<String, byte[]> first = build();

        Collections.reverse(services);
        Collections.reverse(slices);
        SortedMap<String, byte[]> second = build();

        assertThat(second.keySet()).containsExactlyElementsOf(first.keySet());
        first.forEach((origin, bytes) -> assertThat(second.get(origin)).isEqualTo(bytes));
    }

    @Test
    void aCustomObjectLeavesStatusAnnotationsAndBookkeepingBehind() {
        GenericKubernetesResource route = MockCluster.object(MeshCrd.ROUTE, "shop", "r", "services: [a.shop]");
        route.getMetadata().setAnnotations(Map.of("kubectl.kubernetes.io/last-applied-configuration", "{}"));
        route.getMetadata().setLabels(Map.of("team", "shop"));
        route.getMetadata().setResourceVersion("42");
        route.getMetadata().setUid("u-1");
        route.getAdditionalProperties().put("status", Map.of("conditions", List.of()));
        objects.put(MeshCrd.ROUTE, List.of(route));

        String yaml = new String(build().get("routes.remora.io/shop/r"), StandardCharsets.UTF_8);

        assertThat(yaml).isEqualTo("""
                ---
                apiVersion: remora.io/v1
                kind: Route
                metadata:
                  name: r
                  namespace: shop
                  labels:
                    team: shop
                spec:
                  services:
                  - a.shop
                """);
    }

    @Test
    void portProtocolsFollowIstiosNaming() {
        assertThat(protocol("http", null)).isEqualTo("http");
        assertThat(protocol("http2-web", null)).isEqualTo("http2");
        assertThat(protocol("grpc", null)).isEqualTo("grpc");
        assertThat(protocol("grpc-web", null)).isEqualTo("http");
        assertThat(protocol("tcp-db", null)).isEqualTo("tcp");
        assertThat(protocol("mysql", null)).isEqualTo("tcp");
        assertThat(protocol("https", null)).isEqualTo("tcp");
        assertThat(protocol("web", null)).isEqualTo("http");
        assertThat(protocol(null, null)).isEqualTo("http");
        assertThat(protocol("http", "kubernetes.io/h2c")).isEqualTo("http2");
        assertThat(protocol("http", "grpc")).isEqualTo("grpc");
        assertThat(protocol("grpc", "example.com/custom")).isEqualTo("grpc");
    }

    private static String protocol(String name, String appProtocol) {
        return PortProtocol.of(new ServicePortBuilder().withName(name).withAppProtocol(appProtocol).withPort(80)
                .build());
    }

    private static Snapshot load(Map<String, byte[]> origins) throws Exception {
        List<Map.Entry<String, byte[]>> sources = new ArrayList<>();
        origins.forEach((k, v) -> sources.add(new AbstractMap.SimpleEntry<>(k, v)));
        return ConfigLoader.loadSources(sources, Map.of());
    }
}
