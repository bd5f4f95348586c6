package io.remora.launcher;

import io.remora.certs.CertificateAuthority;
import io.remora.certs.Pem;
import io.remora.config.ConfigLoader;
import io.remora.config.HostPort;
import io.remora.config.Protocol;
import io.remora.config.Sidecar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Sidecar of an injected pod, from the environment the injector gives the sidecar container. */
class PodSidecarTest {
    @TempDir
    Path dir;

    private Map<String, String> podEnv() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "t");
        CertificateAuthority ca = CertificateAuthority.createRoot("cluster.local", Duration.ofDays(1),
                Clock.systemUTC());
        Path bundle = dir.resolve("root-cert.pem");
        Pem.writeCertificates(bundle, ca.chain());
        Map<String, String> env = new HashMap<>();
        env.put("POD_NAME", "web-7d9f-abcde");
        env.put("POD_NAMESPACE", "shop");
        env.put("REMORA_WORKLOAD", "web");
        env.put("REMORA_INBOUND_PORTS", "8080/http/web, 9000/tcp/db,9090/grpc");
        env.put("REMORA_CONTROL_PLANE_ADDRESS", "cp.remora-system.svc:15010");
        env.put("REMORA_CONTROL_PLANE_TOKEN_FILE", token.toString());
        env.put("REMORA_CONTROL_PLANE_TRUST_BUNDLE", bundle.toString());
        env.put("REMORA_CONTROL_PLANE_STATE_DIR", dir.resolve("state").toString());
        env.put("REMORA_DRAIN_TIME", "25s");
        env.put("REMORA_APP_PROBES", "{}");
        env.put("REMORA_CANONICAL_NAME", "web");
        env.put("REMORA_CANONICAL_REVISION", "v2");
        return env;
    }

    @Test
    void thePodsLayoutWithItsPortsAndControlPlane() throws Exception {
        Map<String, String> env = podEnv();

        Sidecar sidecar = ConfigLoader.parse("pod environment", PodSidecar.yaml(env), PodSidecar.overrides(env))
                .sidecarOrDefault();

        assertThat(sidecar.metadata().name()).isEqualTo("web");
        assertThat(sidecar.metadata().namespace()).isEqualTo("shop");
        assertThat(sidecar.metadata().labels()).containsEntry("service.istio.io/canonical-name", "web")
                .containsEntry("service.istio.io/canonical-revision", "v2");
        Sidecar.Spec spec = sidecar.spec();
        assertThat(spec.inbound().listen()).isEqualTo(new HostPort("0.0.0.0", 15006));
        assertThat(spec.inbound().ports()).containsExactly(new Sidecar.InboundPort(8080, Protocol.HTTP, "web"),
                new Sidecar.InboundPort(9000, Protocol.TCP, "db"), new Sidecar.InboundPort(9090, Protocol.GRPC, null));
        assertThat(spec.outbound().capture()).isEqualTo(new Sidecar.Capture(true, new HostPort("0.0.0.0", 15001)));
        assertThat(spec.admin()).isEqualTo(new HostPort("127.0.0.1", 15000));
        assertThat(spec.metrics()).isEqualTo(new HostPort("0.0.0.0", 15020));
        assertThat(spec.health()).isEqualTo(new HostPort("0.0.0.0", 15021));
        assertThat(spec.controlPlane().address()).isEqualTo(new HostPort("cp.remora-system.svc", 15010));
        assertThat(spec.drainTime()).isEqualTo(Duration.ofSeconds(25));
    }

    @Test
    void theInjectorsTracingVariablesTurnTracingOn() throws Exception {
        Map<String, String> env = podEnv();
        env.put("REMORA_TRACING_COLLECTOR", "http://otel-collector.observability:4318");
        env.put("REMORA_TRACING_SAMPLING", "0.5");

        Sidecar.Tracing tracing = ConfigLoader.parse("pod", PodSidecar.yaml(env), PodSidecar.overrides(env))
                .sidecarOrDefault().spec().tracing();

        assertThat(tracing.enabled()).isTrue();
        assertThat(tracing.tracesEndpoint()).isEqualTo("http://otel-collector.observability:4318/v1/traces");
        assertThat(tracing.sampling()).isEqualTo(0.5);
        assertThat(ConfigLoader.parse("pod", PodSidecar.yaml(podEnv()), PodSidecar.overrides(podEnv()))
                .sidecarOrDefault().spec().tracing().enabled()).as("without them").isFalse();
    }

    @Test
    void theWorkloadDefaultsToThePodName() throws Exception {
        Map<String, String> env = podEnv();
        env.remove("REMORA_WORKLOAD");

        assertThat(ConfigLoader.parse("pod", PodSidecar.yaml(env), PodSidecar.overrides(env)).sidecarOrDefault()
                .metadata().name()).isEqualTo("web-7d9f-abcde");
    }

    @Test
    void aMissingOrMalformedVariableIsNamed() throws Exception {
        Map<String, String> env = podEnv();
        env.remove("POD_NAMESPACE");
        assertThatThrownBy(() -> PodSidecar.yaml(env)).hasMessageStartingWith("POD_NAMESPACE is not set");

        for (String bad : List.of("8080", "http/8080", "70000/http", "8080/udp")) {
            assertThatThrownBy(() -> PodSidecar.ports(bad)).hasMessageStartingWith("REMORA_INBOUND_PORTS: got");
        }
    }
}
