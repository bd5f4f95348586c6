package io.remora.injector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The rules the golden files do not show one by one. */
class InjectorTest {
    private final Injector injector = new Injector(MeshSettings.defaults("0.1.0-test"));

    private static JsonNode pod(String json) {
        return Json.MAPPER.readTree(json);
    }

    private static final String POD = """
            {"metadata": {"name": "web", "labels": {"app": "web"}},
             "spec": {"containers": [{"name": "web", "image": "web:1",
               "ports": [{"name": "http", "containerPort": 8080}],
               "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}}}]}}""";

    @Test
    void aNamedProbePortIsResolvedForTheProxy() {
        Injection r = injector.inject(pod(POD), PodContext.optedIn("shop", null));
        assertThat(r.outcome()).isEqualTo(Injection.Outcome.INJECTED);
        assertThat(r.pod().toString()).contains("{\\\"/app-health/web/readyz\\\":{\\\"httpGet\\\":"
                + "{\\\"path\\\":\\\"/ready\\\",\\\"port\\\":8080}");
    }

    @Test
    void theInputIsNeverChangedAndTheSameInputGivesTheSamePod() {
        JsonNode input = pod(POD);
        JsonNode copy = input.deepCopy();
        JsonNode first = injector.inject(input, PodContext.optedIn("shop", null)).pod();
        assertThat(input).isEqualTo(copy);
        assertThat(injector.inject(input, PodContext.optedIn("shop", null)).pod()).isEqualTo(first);
    }

    @Test
    void aPodOnlyIsInjectedWhenItsNamespaceOrItselfOptsIn() {
        PodContext plainNamespace = new PodContext("shop", Map.of(), null);
        Injection r = injector.inject(pod(POD), plainNamespace);
        assertThat(r.outcome()).isEqualTo(Injection.Outcome.UNCHANGED);
        assertThat(r.reason()).startsWith("not opted in");

        JsonNode optedIn = pod(POD.replace("\"app\": \"web\"}", "\"app\": \"web\", \"remora.io/inject\": \"true\"}"));
        assertThat(injector.inject(optedIn, plainNamespace).outcome()).isEqualTo(Injection.Outcome.INJECTED);

        JsonNode optedOut = pod(POD.replace("\"app\": \"web\"}", "\"app\": \"web\", \"remora.io/inject\": \"false\"}"));
        PodContext enabled = new PodContext("shop", Map.of("remora.io/inject", "enabled"), null);
        assertThat(injector.inject(optedOut, enabled).outcome()).isEqualTo(Injection.Outcome.UNCHANGED);
    }

    @Test
    void injectingTwiceChangesNothingTheSecondTime() {
        JsonNode once = injector.inject(pod(POD), PodContext.optedIn("shop", null)).pod();
        Injection twice = injector.inject(once, PodContext.optedIn("shop", null));
        assertThat(twice.outcome()).isEqualTo(Injection.Outcome.UNCHANGED);
        assertThat(twice.reason()).isEqualTo("already injected");
    }

    @Test
    void portProtocolsFollowIstiosNamingRules() {
        assertThat(Injector.protocol("", "grpc-api")).isEqualTo("grpc");
        assertThat(Injector.protocol("", "http2")).isEqualTo("http2");
        assertThat(Injector.protocol("kubernetes.io/h2c", "web")).isEqualTo("http2");
        assertThat(Injector.protocol("", "tcp-db")).isEqualTo("tcp");
        assertThat(Injector.protocol("", "https")).isEqualTo("tcp");
        assertThat(Injector.protocol("", "metrics")).isEqualTo("http");
        assertThat(Injector.protocol("", "")).isEqualTo("http");
    }

    private static final String POD_WITH_ANNOTATIONS = """
            {"metadata": {"name": "web", "labels": {"app": "web"}, "annotations": %s},
             "spec": {"containers": [{"name": "web", "image": "web:1"}]}}""";

    /** The proxy container's environment, by name. */
    private static Map<String, String> proxyEnv(Injection r) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (JsonNode c : r.pod().path("spec").path("initContainers")) {
            if (Json.text(c, "name").equals(Injector.PROXY)) {
                c.path("env").forEach(e -> env.put(Json.text(e, "name"), Json.text(e, "value")));
            }
        }
        return env;
    }

    private static Injection inject(Injector injector, String annotations) {
        return injector.inject(pod(POD_WITH_ANNOTATIONS.formatted(annotations)), PodContext.optedIn("shop", null));
    }

    @Test
    void withoutTracingSettingsTheProxyGetsNoTracingVariables() {
        Map<String, String> env = proxyEnv(inject(injector, "{}"));
        assertThat(env).containsKey("REMORA_LOG_LEVEL");
        assertThat(env.keySet()).noneMatch(name -> name.startsWith("REMORA_TRACING_"));
    }

    @Test
    void theMeshsTracingIsSetOnEveryProxyAndAPodsAnnotationsOverrideEachSetting() {
        Injector traced = new Injector(MeshSettings.defaults("0.1.0-test")
                .withTracing(new MeshSettings.Tracing("http://otel-collector.observability:4318", "1")));

        Injection plain = inject(traced, "{}");
        assertThat(proxyEnv(plain)).containsEntry("REMORA_TRACING_COLLECTOR", "http://otel-collector.observability:4318")
                .containsEntry("REMORA_TRACING_SAMPLING", "1");
        assertThat(plain.warnings()).isEmpty();

        Map<String, String> sampled = proxyEnv(inject(traced, "{\"remora.io/tracing-sampling\": \" 100 \"}"));
        assertThat(sampled).containsEntry("REMORA_TRACING_COLLECTOR", "http://otel-collector.observability:4318")
                .containsEntry("REMORA_TRACING_SAMPLING", "100");

        Map<String, String> elsewhere = proxyEnv(inject(traced,
                "{\"remora.io/tracing-collector\": \"https://traces.example:4318/v1/traces\"}"));
        assertThat(elsewhere).containsEntry("REMORA_TRACING_COLLECTOR", "https://traces.example:4318/v1/traces")
                .containsEntry("REMORA_TRACING_SAMPLING", "1");
    }

    @Test
    void aPodMayAskForIoUringAndAMisspeltTransportIsSaidAndLeftOut() {
        assertThat(proxyEnv(inject(injector, "{}"))).doesNotContainKey("REMORA_TRANSPORT");
        Injection uring = inject(injector, "{\"remora.io/transport\": \" IO_URING \"}");
        assertThat(proxyEnv(uring)).containsEntry("REMORA_TRANSPORT", "io-uring");
        assertThat(uring.warnings()).isEmpty();

        Injection typo = inject(injector, "{\"remora.io/transport\": \"uring\"}");
        assertThat(proxyEnv(typo)).doesNotContainKey("REMORA_TRANSPORT");
        assertThat(typo.warnings()).containsExactly(
                "remora.io/transport: got \"uring\", expected one of auto, io-uring, epoll, nio; using auto");
    }

    @Test
    void aPodMayTurnTracingOnWhenTheMeshHasNone() {
        Injection r = inject(injector, "{\"remora.io/tracing-collector\": \"http://otel:4318\","
                + " \"remora.io/tracing-sampling\": \"0.5\"}");
        assertThat(proxyEnv(r)).containsEntry("REMORA_TRACING_COLLECTOR", "http://otel:4318")
                .containsEntry("REMORA_TRACING_SAMPLING", "0.5");
        assertThat(r.warnings()).isEmpty();
    }

    @Test
    void badTracingAnnotationsAreReplacedByTheMeshsValuesAndSaidSo() {
        Injector traced = new Injector(MeshSettings.defaults("0.1.0-test")
                .withTracing(new MeshSettings.Tracing("http://otel:4318", "1")));
        for (String bad : new String[] {"101", "-1", "ten", "1e2", "50%", ""}) {
            Injection r = inject(traced, "{\"remora.io/tracing-sampling\": \"" + bad + "\"}");
            assertThat(r.outcome()).isEqualTo(Injection.Outcome.INJECTED);
            assertThat(proxyEnv(r)).as(bad).containsEntry("REMORA_TRACING_SAMPLING", "1");
            assertThat(r.warnings()).containsExactly("remora.io/tracing-sampling: got \"" + bad
                    + "\", expected a percentage 0-100 like 1 or 0.5; using 1");
        }
        Injection r = inject(injector, "{\"remora.io/tracing-collector\": \"otel:4318\","
                + " \"remora.io/tracing-sampling\": \"200\"}");
        assertThat(proxyEnv(r).keySet()).noneMatch(name -> name.startsWith("REMORA_TRACING_"));
        assertThat(r.warnings()).containsExactly(
                "remora.io/tracing-collector: got \"otel:4318\", expected an OTLP/HTTP URL like"
                        + " http://otel-collector.observability:4318 (http or https, a host, an optional port 1-65535"
                        + " and path; no query); using none",
                "remora.io/tracing-sampling: got \"200\", expected a percentage 0-100 like 1 or 0.5; using none",
                "remora.io/tracing-sampling: no collector (remora.io/tracing-collector, or the injector's"
                        + " --tracing-collector), so tracing stays off");
        assertThat(r.pod().path("metadata").path("annotations").path(Annotations.STATUS).stringValue())
                .contains("remora.io/tracing-sampling: got \\\"200\\\"");
    }

    @Test
    void meshSettingsRefuseTracingValuesTheProxyWouldRefuse() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MeshSettings.Tracing("ftp://x:1", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("OTLP/HTTP URL");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MeshSettings.Tracing(null, "100.5"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a percentage 0-100");
    }
}
