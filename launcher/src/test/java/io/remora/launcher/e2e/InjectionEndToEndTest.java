package io.remora.launcher.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.zjsonpatch.JsonPatch;
import io.remora.certs.CertificateAuthority;
import io.remora.config.ConfigLoader;
import io.remora.config.Service;
import io.remora.config.Snapshot;
import io.remora.config.testing.Eventually;
import io.remora.controlplane.kubernetes.KubernetesSource;
import io.remora.controlplane.kubernetes.MockCluster;
import io.remora.controlplane.source.SourceContent;
import io.remora.injector.Injector;
import io.remora.injector.InjectorServer;
import io.remora.injector.MeshSettings;
import io.remora.injector.ServingTls;
import io.remora.injector.TlsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Injection end to end against the mock API server: a pod is created the way the API server would create it with
 * the webhook in its admission chain (the AdmissionReview sent to the real injector over TLS, its JSON Patch
 * applied), next to a plain pod; both back one Kubernetes Service. The control plane's Kubernetes source then gives
 * the injected pod's endpoint its SPIFFE identity (callers use mTLS to it) and the plain pod's none (plaintext).
 */
@Timeout(60)
@EnableKubernetesMockClient(crud = true)
class InjectionEndToEndTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SERVICE = "remora-injector.remora-system.svc";

    KubernetesClient client;

    private static Pod pod(String name, String ip, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("shop").withLabels(labels).endMetadata()
                .withNewSpec().withServiceAccountName("reviews")
                .addNewContainer().withName("app").withImage("reviews:1")
                .addNewPort().withName("http").withContainerPort(9080).endPort().endContainer()
                .endSpec()
                .withNewStatus().withPodIP(ip).endStatus()
                .build();
    }

    /** What the API server stores for {@code pod} with the injector in its admission chain. */
    private Pod admitted(Pod pod, InjectorServer injector, CertificateAuthority root) throws Exception {
        ObjectNode object = (ObjectNode) JSON.readTree(client.getKubernetesSerialization().asJson(pod));
        ObjectNode review = JSON.createObjectNode().put("apiVersion", "admission.k8s.io/v1")
                .put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request").put("uid", "7f0c").put("namespace", "shop")
                .put("operation", "CREATE");
        request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
        request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
        request.set("object", object);
        TlsClient.Response r = TlsClient.post(injector.webhookAddress(), SERVICE, List.of(root.certificate()),
                "/inject", JSON.writeValueAsBytes(review));
        JsonNode response = JSON.readTree(r.body()).path("response");
        assertThat(response.path("allowed").asBoolean()).isTrue();
        JsonNode result = object;
        if (response.has("patch")) {
            result = JsonPatch.apply(JSON.readTree(Base64.getDecoder().decode(response.path("patch").stringValue())),
                    object);
        }
        return client.getKubernetesSerialization().unmarshal(result.toString(), Pod.class);
    }

    @Test
    void anOptedInPodThroughTheWebhookGetsAnIdentityAndAPlainPodNone() throws Exception {
        new MockCluster(client);
        CertificateAuthority root = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(1),
                Clock.systemUTC());
        ServingTls tls = new ServingTls(root, List.of(root.certificate()), List.of(SERVICE), Duration.ofHours(1),
                Clock.systemUTC());
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        LinkedBlockingQueue<SourceContent> deliveries = new LinkedBlockingQueue<>();
        try (InjectorServer injector = InjectorServer.start(new InjectorServer.Options(any, any,
                     new Injector(MeshSettings.defaults("test")), tls, 1 << 20, null, null));
             KubernetesSource source = new KubernetesSource(client, "cluster.local", null, Clock.systemUTC())) {
            Pod injected = admitted(pod("reviews-a", "10.1.0.7", Map.of("app", "reviews", "remora.io/inject", "true")),
                    injector, root);
            Pod plain = admitted(pod("reviews-b", "10.1.0.8", Map.of("app", "reviews", "remora.io/inject", "false")),
                    injector, root);
            assertThat(injected.getMetadata().getLabels()).containsEntry("security.remora.io/tlsMode", "remora");
            assertThat(injected.getSpec().getInitContainers()).extracting(c -> c.getName())
                    .contains("remora-init", "remora-proxy");
            assertThat(plain.getMetadata().getLabels()).doesNotContainKey("security.remora.io/tlsMode");
            client.resource(injected).create();
            client.resource(plain).create();
            client.resource(new ServiceBuilder().withNewMetadata().withName("reviews").withNamespace("shop")
                    .endMetadata().withNewSpec().withClusterIP("10.96.0.9").withSelector(Map.of("app", "reviews"))
                    .addNewPort().withName("http").withPort(9080).withProtocol("TCP").endPort().endSpec().build())
                    .create();
            client.resource(new EndpointSliceBuilder().withNewMetadata().withName("reviews-x").withNamespace("shop")
                    .addToLabels("kubernetes.io/service-name", "reviews").endMetadata().withAddressType("IPv4")
                    .addNewPort().withName("http").withPort(9080).withProtocol("TCP").endPort()
                    .addNewEndpoint().withAddresses("10.1.0.7").withNewTargetRef().withKind("Pod").withName("reviews-a")
                    .withNamespace("shop").endTargetRef().endEndpoint()
                    .addNewEndpoint().withAddresses("10.1.0.8").withNewTargetRef().withKind("Pod").withName("reviews-b")
                    .withNamespace("shop").endTargetRef().endEndpoint()
                    .build()).create();
            source.start(deliveries::add);

            Service reviews = Eventually.within(Duration.ofSeconds(20)).every(Duration.ZERO)
                    .untilFound("the source delivers both endpoints in time", () -> {
                        SourceContent c = deliveries.poll(1, TimeUnit.SECONDS);
                        return c == null ? Optional.<Service>empty() : load(c).services().stream()
                                .filter(s -> s.key().equals("reviews.shop")).findFirst()
                                .filter(s -> s.spec().endpoints().size() >= 2
                                        && s.spec().endpoints().stream().anyMatch(e -> e.identity() != null));
                    });
            assertThat(reviews.spec().endpoints()).extracting(e -> e.address() + " " + e.identity())
                    .containsExactly("10.1.0.7:9080 spiffe://cluster.local/ns/shop/sa/reviews", "10.1.0.8:9080 null");
        }
    }

    private static Snapshot load(SourceContent content) throws Exception {
        List<Map.Entry<String, byte[]>> sources = new ArrayList<>();
        content.origins().forEach((k, v) -> sources.add(new AbstractMap.SimpleEntry<>(k, v)));
        return ConfigLoader.loadSources(sources, Map.of());
    }
}
