package io.remora.launcher.init;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real {@code remora init} in a network namespace standing in for a pod (needs root, as the init container
 * has NET_ADMIN; it creates one namespace and deletes it): an app's outbound connection is captured to the sidecar's
 * 15001, an excluded port and the sidecar's own uid are not, a second run leaves one set of rules, and
 * {@code --cleanup} removes them all.
 */
@Timeout(120)
class InitNetnsTest {
    private final String ns = "remora-init-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    private Process listener;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    private static void ok(String... command) throws Exception {
        Run r = run(List.of(command));
        assertThat(r.exit()).as("%s: %s", String.join(" ", command), r.err()).isZero();
    }

    private List<String> inPod(String... command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(command));
        return c;
    }

    private List<String> java(String main, String... args) {
        List<String> c = inPod(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), main);
        c.addAll(List.of(args));
        return c;
    }

    private Run init(String... args) throws Exception {
        List<String> c = java("io.remora.launcher.Remora", "init");
        c.addAll(List.of(args));
        return run(c);
    }

    private Run curl(boolean asProxy, int port) throws Exception {
        List<String> c = asProxy
                ? inPod("setpriv", "--reuid", "1337", "--regid", "1337", "--clear-groups", "curl")
                : inPod("curl");
        c.addAll(List.of("-s", "--max-time", "2", "http://10.99.0.3:" + port + "/"));
        return run(c);
    }

    private String natRules() throws Exception {
        Run r = run(inPod("iptables-save", "-t", "nat"));
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out();
    }

    @BeforeEach
    void pod() throws Exception {
        ok("ip", "netns", "add", ns);
        ok("ip", "-n", ns, "link", "set", "lo", "up");
        // eth0 as a pod has it: one end of a veth pair whose other end stays on the host, without an address.
        ok("ip", "link", "add", "rmi" + ns.substring(ns.length() - 6), "type", "veth", "peer", "name", "eth0",
                "netns", ns);
        ok("ip", "-n", ns, "addr", "add", "10.99.0.2/24", "dev", "eth0");
        ok("ip", "-n", ns, "link", "set", "eth0", "up");
        listener = new ProcessBuilder(java(EchoListener.class.getName(), "15001")).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(listener.getInputStream(),
                StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("listening");
    }

    @AfterEach
    void remove() throws Exception {
        if (listener != null) {
            listener.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        run(List.of("ip", "netns", "del", ns));
    }

    @Test
    void capturesTheAppsOutboundButNotExcludedPortsNorTheSidecarAndARerunReplacesTheRules() throws Exception {
        assertThat(curl(false, 8080).out()).as("before init nothing is captured").isNotEqualTo("captured");

        Run first = init("--exclude-outbound-ports", "9999");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.out()).startsWith("remora init: installed the interception rules (iptables-");
        Run again = init("--exclude-outbound-ports", "9999");
        assertThat(again.exit()).as(again.err()).isZero();
        String rules = natRules();
        assertThat(rules.lines().filter(l -> l.equals("-A OUTPUT -p tcp -j REMORA_OUTPUT"))).hasSize(1);
        assertThat(rules.lines().filter(l -> l.equals("-A PREROUTING -p tcp -j REMORA_INBOUND"))).hasSize(1);
        assertThat(rules.lines().filter(l -> l.contains("--dport 9999 -j RETURN"))).hasSize(1);

        assertThat(curl(false, 8080).out()).as("the app's call goes to the sidecar").isEqualTo("captured");
        assertThat(curl(false, 9999).out()).as("an excluded port bypasses it").isNotEqualTo("captured");
        assertThat(curl(true, 8080).out()).as("the sidecar's own connection is not captured again")
                .isNotEqualTo("captured");

        Run cleanup = init("--cleanup");
        assertThat(cleanup.exit()).as(cleanup.err()).isZero();
        assertThat(natRules()).doesNotContain("REMORA_");
        assertThat(curl(false, 8080).out()).isNotEqualTo("captured");
    }

    @Test
    void aMalformedOptionIsAUsageErrorAndChangesNothing() throws Exception {
        Run r = init("--exclude-outbound-cidrs", "10.0.0.0/99");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--exclude-outbound-cidrs: '10.0.0.0/99' is not a CIDR");
        assertThat(natRules()).doesNotContain("REMORA_");
    }

    @Test
    void dryRunPrintsTheTransactionAndInstallsNothing() throws Exception {
        Run r = init("--dry-run");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("*nat\n").endsWith("COMMIT\n");
        assertThat(natRules()).doesNotContain("REMORA_");
    }
}
