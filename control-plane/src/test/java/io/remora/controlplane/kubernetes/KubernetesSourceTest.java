package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Protocol;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.config.Snapshot;
import io.remora.controlplane.source.SourceContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.remora.controlplane.kubernetes.MockCluster.injectedPod;
import static io.remora.controlplane.kubernetes.MockCluster.pod;
import static io.remora.controlplane.kubernetes.MockCluster.port;
import static io.remora.controlplane.kubernetes.MockCluster.service;
import static io.remora.controlplane.kubernetes.MockCluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

/** The Kubernetes source against a mock API server: what it delivers as objects come, change and go. */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesSourceTest {
    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
    private static final String ROUTE_ORIGIN = "routes.remora.io/shop/reviews";

    private static final String REMORA_SERVICE = """
            hosts: [reviews.shop.svc.cluster.local]
            endpoints:
              - {address: 10.1.0.11:9080, labels: {version: v1}}
              - {address: 10.1.0.12:9080, labels: {version: v2}}
            subsets:
              - {name: v1, labels: {version: v1}}
              - {name: v2, labels: {version: v2}}
            """;

    KubernetesClient client;
    private MockCluster cluster;
    private KubernetesSource source;
    private final MockCluster.Deliveries deliveries = new MockCluster.Deliveries();

    @BeforeEach
    void setUp() throws Exception {
        cluster = new MockCluster(client);
    }

    @AfterEach
    void tearDown() {
        if (source != null) {
            source.close();
        }
    }

    private void start(String namespace) {
        source = new KubernetesSource(cluster.client, "cluster.local", namespace, Clock.fixed(NOW, ZoneOffset.UTC));
        source.start(deliveries);
    }

    /** Starts and takes the first delivery, so later waits see only what changes after. */
    private SourceContent startAndTakeFirst(String namespace) throws InterruptedException {
        start(namespace);
        return deliveries.until("the first content", c -> true);
    }

    @Test
    void anEmptyClusterDeliversEmptyContent() throws Exception {
        SourceContent first = startAndTakeFirst(null);

        assertThat(first.source()).isEqualTo("kubernetes");
        assertThat(first.origins()).isEmpty();
        assertThat(first.changedAt()).isEqualTo(NOW);
    }

    @Test
    void aRouteIsDeliveredUpdatedAndRemoved() throws Exception {
        cluster.create(MeshCrd.SERVICE, "shop", "reviews", REMORA_SERVICE);
        assertThat(startAndTakeFirst(null).origins()).containsOnlyKeys("services.remora.io/shop/reviews");
        cluster.create(MeshCrd.ROUTE, "shop", "reviews", route(90, 10));

        SourceContent created = deliveries.until("the route", c -> c.origins().containsKey(ROUTE_ORIGIN)
                && c.origins().containsKey("services.remora.io/shop/reviews"));
        Route route = onlyRoute(load(created));
        assertThat(route.metadata().qualifiedName()).isEqualTo("reviews.shop");
        assertThat(route.spec().rules().get(0).backends()).extracting(Route.Backend::weight).containsExactly(90, 10);
        assertThat(created.changedAt()).isEqualTo(NOW);
        assertThat(new ArrayList<>(created.origins().keySet())).isSorted();

        cluster.update(MeshCrd.ROUTE, "shop", "reviews", route(50, 50));
        SourceContent updated = deliveries.until("the new weights",
                c -> text(c, ROUTE_ORIGIN).contains("weight: 50"));
        assertThat(onlyRoute(load(updated)).spec().rules().get(0).backends())
                .extracting(Route.Backend::weight).containsExactly(50, 50);

        cluster.delete(MeshCrd.ROUTE, "shop", "reviews");
        SourceContent deleted = deliveries.until("no route", c -> !c.origins().containsKey(ROUTE_ORIGIN));
        assertThat(deleted.origins()).containsOnlyKeys("services.remora.io/shop/reviews");
        assertThat(load(deleted).routes()).isEmpty();

        assertThat(deliveries.overlapped).isFalse();
        assertThat(deliveries.threads()).containsOnly("remora-kubernetes-source");
    }

    @Test
    void aCustomObjectBecomesExactlyTheConfigFileEnvelope() throws Exception {
        startAndTakeFirst(null);
        cluster.create(MeshCrd.AUTHORIZATION_POLICY, "shop", "callers", """
                workloads: [reviews]
                rules:
                  - from: {principals: ["spiffe://cluster.local/ns/shop/sa/web"]}
                """);

        SourceContent content = deliveries.until("the policy",
                c -> c.origins().containsKey("authorizationpolicies.remora.io/shop/callers"));

        String yaml = text(content, "authorizationpolicies.remora.io/shop/callers");
        Map<String, Object> document = new Yaml().load(yaml);
        assertThat(document).containsOnlyKeys("apiVersion", "kind", "metadata", "spec");
        assertThat(document).containsEntry("apiVersion", "remora.io/v1").containsEntry("kind", "AuthorizationPolicy");
        assertThat(document.get("metadata")).isEqualTo(Map.of("name", "callers", "namespace", "shop"));
        assertThat(load(content).authorizationPolicies()).hasSize(1);
    }

    @Test
    void aKubernetesServiceWithReadyEndpointsBecomesARemoraServiceWithIdentities() throws Exception {
        startAndTakeFirst(null);
        cluster.client.resource(service("shop", "reviews", "10.96.0.10", port("http", 9080))).create();
        cluster.client.resource(injectedPod("shop", "reviews-v1-abc", "bookinfo-reviews",
                Map.of("app", "reviews", "version", "v1"))).create();
        cluster.client.resource(slice("shop", "reviews", "reviews-x1", "http", 9080,
                Map.of("10.1.0.5", "reviews-v1-abc"))).create();

        SourceContent content = deliveries.until("the endpoint with its identity",
                c -> c.origins().containsKey("services/shop/reviews")
                        && text(c, "services/shop/reviews").contains("spiffe://"));

        Service reviews = onlyService(load(content));
        assertThat(reviews.key()).isEqualTo("reviews.shop");
        assertThat(reviews.spec().hosts()).containsExactly("reviews.shop.svc.cluster.local", "reviews.shop.svc");
        assertThat(reviews.spec().addresses()).extracting(Object::toString).containsExactly("10.96.0.10:9080");
        assertThat(reviews.spec().protocol()).isEqualTo(Protocol.HTTP);
        assertThat(reviews.spec().endpoints()).singleElement().satisfies(e -> {
            assertThat(e.address().toString()).isEqualTo("10.1.0.5:9080");
            assertThat(e.identity()).isEqualTo("spiffe://cluster.local/ns/shop/sa/bookinfo-reviews");
            assertThat(e.labels()).containsEntry("version", "v1").containsEntry("app", "reviews");
        });
    }

    @Test
    void eachPortOfAMultiPortServiceIsItsOwnRemoraService() throws Exception {
        startAndTakeFirst(null);
        cluster.client.resource(service("shop", "ratings", "10.96.0.20", port("http", 80), port("grpc-api", 9090)))
                .create();
        cluster.client.resource(slice("shop", "ratings", "ratings-a", "http", 8080, Map.of("10.1.1.1", "r1")))
                .create();
        cluster.client.resource(slice("shop", "ratings", "ratings-b", "grpc-api", 9091, Map.of("10.1.1.1", "r1")))
                .create();

        SourceContent content = deliveries.until("both ports' endpoints",
                c -> text(c, "services/shop/ratings").contains("10.1.1.1:9091")
                        && text(c, "services/shop/ratings").contains("10.1.1.1:8080"));

        Snapshot snapshot = load(content);
        assertThat(snapshot.services()).extracting(Service::key)
                .containsExactly("ratings.shop", "ratings-grpc-api.shop");
        Service http = snapshot.services().get(0);
        Service grpc = snapshot.services().get(1);
        assertThat(http.spec().protocol()).isEqualTo(Protocol.HTTP);
        assertThat(http.spec().hosts()).contains("ratings.shop.svc.cluster.local");
        assertThat(http.spec().endpoints()).extracting(e -> e.address().toString()).containsExactly("10.1.1.1:8080");
        assertThat(grpc.spec().protocol()).isEqualTo(Protocol.GRPC);
        assertThat(grpc.spec().hosts()).isEmpty();
        assertThat(grpc.spec().addresses()).extracting(Object::toString).containsExactly("10.96.0.20:9090");
        assertThat(grpc.spec().endpoints()).extracting(e -> e.address().toString()).containsExactly("10.1.1.1:9091");
    }

    @Test
    void theApiServersOwnServiceAndServicesWithoutSelectorOrSlicesAreLeftOut() throws Exception {
        startAndTakeFirst(null);
        cluster.client.resource(service("default", "kubernetes", "10.96.0.1", port("https", 443))).create();
        io.fabric8.kubernetes.api.model.Service manual = service("shop", "external-db", "10.96.0.30",
                port("tcp-db", 5432));
        manual.getSpec().setSelector(null);
        cluster.client.resource(manual).create();
        cluster.client.resource(service("shop", "web", "10.96.0.40", port("http", 80))).create();

        SourceContent content = deliveries.until("web", c -> c.origins().containsKey("services/shop/web"));

        assertThat(content.origins()).containsOnlyKeys("services/shop/web");
    }

    @Test
    void aNamespaceFilterLeavesOtherNamespacesOut() throws Exception {
        startAndTakeFirst("shop");
        cluster.create(MeshCrd.AUTHORIZATION_POLICY, "other", "deny-all", "action: DENY");
        cluster.create(MeshCrd.AUTHORIZATION_POLICY, "shop", "deny-all", "action: DENY");
        cluster.client.resource(service("other", "web", "10.96.0.40", port("http", 80))).create();

        SourceContent content = deliveries.until("shop's policy",
                c -> c.origins().containsKey("authorizationpolicies.remora.io/shop/deny-all"));

        assertThat(content.origins()).containsOnlyKeys("authorizationpolicies.remora.io/shop/deny-all");
    }

    private static String route(int v1, int v2) {
        return """
                services: [reviews.shop]
                rules:
                  - name: split
                    backends:
                      - {service: reviews.shop, subset: v1, weight: %d}
                      - {service: reviews.shop, subset: v2, weight: %d}
                """.formatted(v1, v2);
    }

    static String text(SourceContent content, String origin) {
        byte[] bytes = content.origins().get(origin);
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }

    static Snapshot load(SourceContent content) throws ConfigException {
        List<Map.Entry<String, byte[]>> sources = new ArrayList<>();
        content.origins().forEach((k, v) -> sources.add(new AbstractMap.SimpleEntry<>(k, v)));
        return ConfigLoader.loadSources(sources, Map.of());
    }

    private static Route onlyRoute(Snapshot snapshot) {
        assertThat(snapshot.routes()).hasSize(1);
        return snapshot.routes().get(0);
    }

    private static Service onlyService(Snapshot snapshot) {
        assertThat(snapshot.services()).hasSize(1);
        return snapshot.services().get(0);
    }
}
