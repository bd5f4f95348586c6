package io.remora.injector;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.zjsonpatch.JsonPatch;
import io.remora.certs.CertificateAuthority;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The webhook over real TLS on loopback, checked the way the API server checks it. */
@EnableKubernetesMockClient(crud = true)
class InjectorServerTest {
    static final String SERVICE = "remora-injector.remora-system.svc";
    static final int LIMIT = 64 * 1024;
    KubernetesClient client;

    private final CertificateAuthority root = CertificateAuthority.createRoot("cluster.local",
            CertificateAuthority.DEFAULT_ROOT_TTL, Clock.systemUTC());
    private final ServingTls tls = new ServingTls(root, List.of(root.certificate()),
            List.of(SERVICE, "remora-injector"), Duration.ofHours(24), Clock.systemUTC());
    private final Injector injector = new Injector(MeshSettings.defaults("0.1.0-test"));
    private InjectorServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private InjectorServer start(KubernetesClient api, String config) throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        server = InjectorServer.start(new InjectorServer.Options(any, any, injector, tls, LIMIT, api, config));
        return server;
    }

    private TlsClient.Response post(byte[] body) throws Exception {
        return TlsClient.post(server.webhookAddress(), SERVICE, List.of(root.certificate()), "/inject", body);
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = InjectorServerTest.class.getResourceAsStream("/admission/" + name)) {
            return in.readAllBytes();
        }
    }

    private static JsonNode response(TlsClient.Response r) {
        assertThat(r.status()).isEqualTo(200);
        JsonNode review = Json.MAPPER.readTree(r.body());
        assertThat(review.path("apiVersion").stringValue()).isEqualTo("admission.k8s.io/v1");
        assertThat(review.path("kind").stringValue()).isEqualTo("AdmissionReview");
        return review.get("response");
    }

    @Test
    void theKubernetesDocumentationExampleIsAllowedUnchanged() throws Exception {
        start(null, null);
        JsonNode response = response(post(resource("kubernetes-docs-example.json")));
        assertThat(response.path("uid").stringValue()).isEqualTo("705ab4f5-6393-11e8-b7cc-42010a800002");
        assertThat(response.path("allowed").booleanValue()).isTrue();
        assertThat(response.has("patch")).isFalse();
        assertThat(response.path("status").path("message").stringValue()).isEqualTo("not a Pod: Scale");
    }

    @Test
    void aPodCreationIsPatchedToWhatTheManifestInjectionWrites() throws Exception {
        start(null, null);
        byte[] review = resource("pod-create.json");
        TlsClient.Response r = post(review);
        assertThat(r.peer().getSubjectAlternativeNames()).isNotEmpty();
        JsonNode response = response(r);
        assertThat(response.path("uid").stringValue()).isEqualTo("0df28fbd-5f5f-4f79-8b86-3b5e1d6b2a57");
        assertThat(response.path("allowed").booleanValue()).isTrue();
        assertThat(response.path("patchType").stringValue()).isEqualTo("JSONPatch");
        JsonNode patch = Json.MAPPER.readTree(Base64.getDecoder().decode(response.path("patch").stringValue()));
        JsonNode original = Json.MAPPER.readTree(review).path("request").path("object");

        JsonNode patched = JsonPatch.apply(patch, original);

        String printed = Manifests.transform("pod.yaml", Manifests.dump(original),
                Manifests.injecting(injector, note -> { }));
        assertThat(patched).isEqualTo(Yaml.trees(printed).get(0));
        assertThat(patched.path("metadata").path("labels").path("security.remora.io/tlsMode").stringValue())
                .isEqualTo("remora");
        // The Deployment's name, from the ReplicaSet owner without its pod-template-hash.
        assertThat(patched.toString()).contains("{\"name\":\"REMORA_WORKLOAD\",\"value\":\"web\"}");
    }

    @Test
    void brokenRequestsGetValidAllowedAnswersAndAreCounted() throws Exception {
        start(null, null);
        assertThat(response(post("{not json".getBytes(StandardCharsets.UTF_8))).path("status").path("message")
                .stringValue()).startsWith("the request is not JSON");
        assertThat(response(post("{\"kind\":\"AdmissionReview\"}".getBytes(StandardCharsets.UTF_8)))
                .path("status").path("message").stringValue()).isEqualTo("the AdmissionReview has no request");
        assertThat(response(post(new byte[0])).path("allowed").booleanValue()).isTrue();
        String noContainers = new String(resource("pod-create.json"), StandardCharsets.UTF_8)
                .replaceFirst("\"containers\": \\[\\{", "\"nothing\": [{");
        JsonNode empty = response(post(noContainers.getBytes(StandardCharsets.UTF_8)));
        assertThat(empty.path("status").path("message").stringValue()).isEqualTo("the pod has no containers");
        assertThat(empty.has("patch")).isFalse();

        String huge = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"big-1\","
                + "\"object\":{\"data\":\"" + "x".repeat(LIMIT * 3) + "\"}}}";
        JsonNode tooLarge = response(post(huge.getBytes(StandardCharsets.UTF_8)));
        assertThat(tooLarge.path("uid").stringValue()).isEqualTo("big-1");
        assertThat(tooLarge.path("allowed").booleanValue()).isTrue();
        assertThat(tooLarge.path("status").path("message").stringValue()).contains("more than the " + LIMIT);

        TlsClient.Response notHere = TlsClient.post(server.webhookAddress(), SERVICE, List.of(root.certificate()),
                "/mutate", new byte[0]);
        assertThat(notHere.status()).isEqualTo(404);

        String metrics = get("/stats/prometheus").body();
        assertThat(metrics).contains("remora_injector_requests_total{result=\"invalid\"} 4.0")
                .contains("remora_injector_requests_total{result=\"unchanged\"} 1.0");
        assertThat(metrics).contains("remora_injector_request_duration_seconds_count 5");
    }

    /** pod-create.json with these annotations on its pod. */
    private static byte[] podCreateWith(String annotations) throws Exception {
        return new String(resource("pod-create.json"), StandardCharsets.UTF_8)
                .replaceFirst("\"generateName\"", "\"annotations\": " + annotations + ", \"generateName\"")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode patched(byte[] review, JsonNode response) {
        JsonNode patch = Json.MAPPER.readTree(Base64.getDecoder().decode(response.path("patch").stringValue()));
        return JsonPatch.apply(patch, Json.MAPPER.readTree(review).path("request").path("object"));
    }

    @Test
    void aPodsTracingAnnotationsBecomeItsProxysTracingEnvironment() throws Exception {
        start(null, null);
        byte[] review = podCreateWith("{\"remora.io/tracing-collector\": \"http://otel-collector.observability:4318\","
                + " \"remora.io/tracing-sampling\": \"25\"}");

        JsonNode response = response(post(review));

        assertThat(response.path("allowed").booleanValue()).isTrue();
        assertThat(response.has("warnings")).isFalse();
        assertThat(patched(review, response).toString())
                .contains("{\"name\":\"REMORA_TRACING_COLLECTOR\",\"value\":\"http://otel-collector.observability:4318\"}")
                .contains("{\"name\":\"REMORA_TRACING_SAMPLING\",\"value\":\"25\"}");
    }

    @Test
    void aSamplingOutOfRangeIsInjectedWithoutItAndTheAnswerWarnsWhy() throws Exception {
        start(null, null);
        byte[] review = podCreateWith("{\"remora.io/tracing-collector\": \"http://otel:4318\","
                + " \"remora.io/tracing-sampling\": \"150\"}");

        JsonNode response = response(post(review));

        // As every other bad annotation: the pod is not refused over a typo; kubectl prints the warning.
        assertThat(response.path("allowed").booleanValue()).isTrue();
        assertThat(response.path("warnings").get(0).stringValue()).isEqualTo("remora.io/tracing-sampling: got"
                + " \"150\", expected a percentage 0-100 like 1 or 0.5; using none");
        String pod = patched(review, response).toString();
        assertThat(pod).contains("{\"name\":\"REMORA_TRACING_COLLECTOR\",\"value\":\"http://otel:4318\"}")
                .doesNotContain("REMORA_TRACING_SAMPLING");
    }

    @Test
    void aRotatedCertificateServesNewConnections() throws Exception {
        start(null, null);
        var before = post(resource("kubernetes-docs-example.json")).peer().getSerialNumber();
        server.rotate();
        var after = post(resource("kubernetes-docs-example.json")).peer().getSerialNumber();
        assertThat(after).isNotEqualTo(before);
        assertThat(tls.rotateAt()).isBefore(tls.certificate().notAfter());
    }

    @Test
    void theCaBundleIsWrittenIntoTheWebhookConfigurationAtStart() throws Exception {
        MutatingWebhookConfiguration config = new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName("remora-injector").endMetadata()
                .addNewWebhook().withName("namespace.inject.remora.io").withNewClientConfig()
                .withNewService().withName("remora-injector").withNamespace("remora-system").withPath("/inject")
                .withPort(443).endService().endClientConfig()
                .withAdmissionReviewVersions("v1").withSideEffects("None").endWebhook()
                .build();
        client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(config).create();

        start(client, "remora-injector");

        MutatingWebhookConfiguration written = client.admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("remora-injector").get();
        String bundle = new String(Base64.getDecoder().decode(
                written.getWebhooks().get(0).getClientConfig().getCaBundle()), StandardCharsets.UTF_8);
        assertThat(bundle).isEqualTo(tls.caBundle()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(get("/healthz/ready").statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> get(String path) throws Exception {
        InetSocketAddress a = server.adminAddress();
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
