package io.remora.proxy.net;

import io.netty.channel.epoll.Epoll;
import io.remora.proxy.Transport;
import io.remora.proxy.testing.CommandLine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SO_ORIGINAL_DST end to end: iptables REDIRECT inside a network namespace created (and deleted) by the test,
 * with a JVM running {@link OriginalDstProbe} in it. Skipped where namespaces or iptables are not usable
 * (not root, no iptables binary, no epoll).
 */
@Timeout(120)
class OriginalDstNetnsTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration CMD_TIMEOUT = Duration.ofSeconds(30);
    private String ns;

    @BeforeEach
    void createNamespace() {
        assertThat(Epoll.isAvailable()).as("epoll transport not available").isTrue();
        assertThat(CommandLine.available("iptables", "--version")).as("iptables not installed").isTrue();
        String name = "remora-t-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        CommandLine.Result add = CommandLine.run(CMD_TIMEOUT, "ip", "netns", "add", name);
        assertThat(add.ok()).as(() -> "cannot create a network namespace: " + add.output()).isTrue();
        ns = name;
        CommandLine.Result lo = inNs("ip", "link", "set", "lo", "up");
        assertThat(lo.ok()).as(lo.output()).isTrue();
    }

    @AfterEach
    void deleteNamespace() {
        if (ns != null) {
            CommandLine.Result del = CommandLine.run(CMD_TIMEOUT, "ip", "netns", "del", ns);
            ns = null;
            assertThat(del.ok()).as("ip netns del: " + del.output()).isTrue();
        }
    }

    private CommandLine.Result inNs(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return CommandLine.run(CMD_TIMEOUT, cmd);
    }

    private List<String> runProbe(String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // The probe runs on the transport this JVM's tests run on (epoll, or io_uring in the second pass).
        String transport = Transport.best().name();
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, java, "-Xss512k",
                "-Dremora.transport=" + transport, "-cp", cp, OriginalDstProbe.class.getName()));
        cmd.addAll(List.of(args));
        CommandLine.Result r = CommandLine.run(Duration.ofSeconds(60), cmd);
        assertThat(r.ok()).as("probe output:\n" + r.output()).isTrue();
        List<String> lines = r.output().lines().filter(l -> l.startsWith("transport ") || l.startsWith("connect "))
                .toList();
        assertThat(lines).as(r.output()).first().isEqualTo("transport " + transport);
        return lines.subList(1, lines.size());
    }

    @Test
    void redirectedConnectionsReportTheirOriginalDestination() {
        CommandLine.Result rule = inNs("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "127.0.0.2",
                "--dport", "9999", "-j", "REDIRECT", "--to-ports", "15001");
        assertThat(rule.ok()).as(() -> "iptables nat not usable here: " + rule.output()).isTrue();
        CommandLine.Result rule2 = inNs("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "127.0.0.3",
                "-j", "REDIRECT", "--to-ports", "15001");
        assertThat(rule2.ok()).as(rule2.output()).isTrue();

        List<String> out = runProbe("listen=127.0.0.1:15001",
                "connect=127.0.0.2:9999",     // redirected: the real destination
                "connect=127.0.0.1:15001",    // direct to the capture port: a loop
                "connect=127.0.0.3:15001");   // redirected, but to a local address on the proxy's port: a loop
        assertThat(out).containsExactly(
                "connect 127.0.0.2:9999 -> dst 127.0.0.2 9999 loop false",
                "connect 127.0.0.1:15001 -> dst 127.0.0.1 15001 loop true",
                "connect 127.0.0.3:15001 -> dst 127.0.0.3 15001 loop true");
    }

    @Test
    void redirectedIpv6ConnectionsReportTheirOriginalDestination() {
        CommandLine.Result rule = inNs("ip6tables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", "::1",
                "--dport", "9999", "-j", "REDIRECT", "--to-ports", "15001");
        assertThat(rule.ok()).as(() -> "ip6tables nat not usable here: " + rule.output()).isTrue();
        List<String> out = runProbe("listen=[::1]:15001", "connect=[::1]:9999", "connect=[::1]:15001");
        assertThat(out).containsExactly(
                "connect [::1]:9999 -> dst 0:0:0:0:0:0:0:1 9999 loop false",
                "connect [::1]:15001 -> dst 0:0:0:0:0:0:0:1 15001 loop true");
    }
}
