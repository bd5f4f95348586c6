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
}
