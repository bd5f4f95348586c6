package io.remora.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.config.testing.TestMesh;
import io.remora.launcher.testing.FreePorts;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * A port some other process already listens on, for every listener of every command, in process through the
 * command line {@link Remora#main} runs: one line on stderr naming the command, the address and the listener's role,
 * exit status 1, and every listener opened before it closed again (its port can be bound).
 */
@Timeout(120)
class PortInUseTest {
    @TempDir
    Path dir;

    private StringWriter err;

    private int run(String... args) {
        err = new StringWriter();
        CommandLine cli = Remora.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    /** A socket listening on a port the kernel chose (ephemeral, so never one {@link #freePort} gives). */
    private static ServerSocket occupy() throws IOException {
        return new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
    }

    /**
     * A port for a role that must be free: never one given before in this JVM, nor the occupied one (two listeners
     * on one port would be a config error, not the failure under test).
     */
    private static int freePort() throws IOException {
        return FreePorts.next();
    }

    /** Each port can be bound again: nothing listens on it any more. */
    private static void assertFree(Map<String, Integer> ports) throws IOException {
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress("127.0.0.1", e.getValue()));
            } catch (IOException bound) {
                throw new AssertionError(e.getKey() + " port " + e.getValue() + " is still bound", bound);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"inbound", "outbound capture", "outbound upstream hello.shop", "admin", "metrics", "health"})
    void proxy(String role) throws Exception {
        Map<String, Integer> ports = new LinkedHashMap<>();
        try (ServerSocket taken = occupy()) {
            for (String r : List.of("inbound", "outbound capture", "outbound upstream hello.shop", "admin", "metrics",
                    "health")) {
                ports.put(r, r.equals(role) ? taken.getLocalPort() : freePort());
            }
            Path config = Files.writeString(dir.resolve("sidecar.yaml"), TestMesh.of(
                    TestMesh.sidecar("web", "shop").accessLog(true).set("admin", at(ports, "admin"))
                            .set("metrics", at(ports, "metrics")).set("health", at(ports, "health"))
                            .set("inbound.listen", at(ports, "inbound")).set("inbound.app", "127.0.0.1:8080")
                            .capture(at(ports, "outbound capture"))
                            .upstream(at(ports, "outbound upstream hello.shop"), "hello.shop"),
                    TestMesh.service("hello", "shop").endpoint("127.0.0.1:8080")).yaml());

            assertThat(run("proxy", "--config", config.toString(), "--no-watch")).as(err.toString()).isEqualTo(1);

            assertThat(err.toString().lines()).containsExactly("remora proxy: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + " (" + role + "): address already in use");
        }
        ports.remove(role);
        assertFree(ports);
    }

    @Test
    void controlPlanePushPort() throws Exception {
        int admin = freePort();
        try (ServerSocket taken = occupy()) {
            assertThat(run(controlPlane(taken.getLocalPort(), admin))).as(err.toString()).isEqualTo(1);

            assertThat(err.toString().lines()).containsExactly("remora control-plane: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + " (push): address already in use");
        }
        assertFree(Map.of("admin", admin));
    }

    @Test
    void controlPlaneAdminPortClosesThePushPort() throws Exception {
        int push = freePort();
        try (ServerSocket taken = occupy()) {
            assertThat(run(controlPlane(push, taken.getLocalPort()))).as(err.toString()).isEqualTo(1);

            assertThat(err.toString().lines()).containsExactly("remora control-plane: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + " (admin): address already in use");
        }
        assertFree(Map.of("push", push));
    }

    private String[] controlPlane(int push, int admin) throws IOException {
        Path mesh = Files.createDirectories(dir.resolve("mesh"));
        return new String[] {"control-plane", "--config-dir", mesh.toString(), "--ca-dir", dir.resolve("ca").toString(),
            "--listen", "127.0.0.1:" + push, "--admin", "127.0.0.1:" + admin};
    }

    /** The caller's health port is bound last, after the control plane, both backends and their sidecars. */
    @ParameterizedTest
    @CsvSource({"--health-port, health", "--control-plane-port, push", "--v2-port, demo app hello v2"})
    void demo(String option, String role) throws Exception {
        Map<String, Integer> ports = demoPorts();
        try (ServerSocket taken = occupy()) {
            ports.put(option, taken.getLocalPort());
            assertThat(run(demo(ports))).as(err.toString()).isEqualTo(1);

            assertThat(err.toString().lines()).containsExactly("remora demo: cannot listen on 127.0.0.1:"
                    + taken.getLocalPort() + " (" + role + "): address already in use; choose another port with "
                    + option);
        }
        ports.remove(option);
        assertFree(ports);
    }

    private static Map<String, Integer> demoPorts() throws IOException {
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (String option : List.of("--outbound-port", "--v1-port", "--v2-port", "--v1-sidecar-port",
                "--v2-sidecar-port", "--admin-port", "--metrics-port", "--health-port", "--inbound-port",
                "--control-plane-port", "--control-plane-admin-port")) {
            ports.put(option, freePort());
        }
        return ports;
    }

    private String[] demo(Map<String, Integer> ports) {
        List<String> args = new ArrayList<>(List.of("demo", "--dir", dir.toString()));
        ports.forEach((option, port) -> {
            args.add(option);
            args.add(String.valueOf(port));
        });
        return args.toArray(String[]::new);
    }

    private static String at(Map<String, Integer> ports, String role) {
        return TestMesh.loopback(ports.get(role));
    }
}
