package io.remora.proxy.it.capture;

import io.netty.channel.epoll.Epoll;
import io.remora.config.testing.Eventually;
import io.remora.proxy.testing.CommandLine;
import io.remora.proxy.testing.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The outbound capture listener end to end, through the real proxy: iptables REDIRECT inside a network namespace
 * created (and deleted) by the test, with {@link CaptureSidecarMain} (app, TCP echo and sidecar) running in it and
 * curl / bash as the app's outbound clients. Traffic to the "virtual" addresses 127.0.0.2 and 127.0.0.4 is
 * redirected to 127.0.0.1:15001; the endpoints live on 127.0.0.3, which is not redirected.
 * Skipped where namespaces or iptables are not usable (not root, no iptables binary, no epoll).
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CaptureNetnsTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration CMD_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** The outbound clients (curl, bash) run as nobody, so that only their connections are captured. */
    private static final String CLIENT_UID = "65534";
    /** A virtual address whose traffic is captured even when the proxy itself sends it. */
    private static final String SELF_CAPTURED = "127.0.0.5";

    private String ns;
    private Process sidecar;
    private final List<String> sidecarOutput = new CopyOnWriteArrayList<>();

    @BeforeAll
    void startSidecarInNamespace() throws Exception {
        assertThat(Epoll.isAvailable()).as("epoll transport not available").isTrue();
        assertThat(CommandLine.available("iptables", "--version")).as("iptables not installed").isTrue();
        assertThat(CommandLine.available("curl", "--version")).as("curl not installed").isTrue();
        String name = "remora-t-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        CommandLine.Result add = CommandLine.run(CMD_TIMEOUT, "ip", "netns", "add", name);
        assertThat(add.ok()).as(() -> "cannot create a network namespace: " + add.output()).isTrue();
        ns = name;
        CommandLine.Result lo = inNs("ip", "link", "set", "lo", "up");
        assertThat(lo.ok()).as(lo.output()).isTrue();
        // As in Istio, the proxy's own connections are not captured (it runs as root here, the clients as
        // CLIENT_UID); except to SELF_CAPTURED, which shows what the proxy does when they are.
        CommandLine.Result exempt = inNs("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "!", "-d",
                SELF_CAPTURED, "-m", "owner", "--uid-owner", "0", "-j", "RETURN");
        assertThat(exempt.ok()).as(() -> "iptables nat/owner not usable here: " + exempt.output()).isTrue();
        for (String vip : List.of("127.0.0.2", "127.0.0.4", SELF_CAPTURED)) {
            CommandLine.Result rule = inNs("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", vip,
                    "-j", "REDIRECT", "--to-ports", String.valueOf(CaptureSidecarMain.CAPTURE_PORT));
            assertThat(rule.ok()).as(rule.output()).isTrue();
        }

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        sidecar = new ProcessBuilder("ip", "netns", "exec", ns, java, "-Xss512k", "-Xmx128m", "-cp", cp,
                CaptureSidecarMain.class.getName())
                .redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(sidecar.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    sidecarOutput.add(line);
                }
            } catch (IOException ignored) {
                // the child is gone; what it printed so far is kept
            }
        }, "capture-sidecar-output");
        reader.setDaemon(true);
        reader.start();
        awaitSidecarLine(l -> l.equals("READY"), "READY");
    }

    @AfterAll
    void stopSidecarAndDeleteNamespace() throws Exception {
        try {
            if (sidecar != null) {
                try {
                    sidecar.getOutputStream().close(); // the child stops when its stdin closes
                } catch (IOException ignored) {
                    // already gone
                }
                if (!sidecar.waitFor(10, TimeUnit.SECONDS)) {
                    sidecar.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            if (ns != null) {
                CommandLine.Result del = CommandLine.run(CMD_TIMEOUT, "ip", "netns", "del", ns);
                ns = null;
                assertThat(del.ok()).as("ip netns del: " + del.output()).isTrue();
            }
        }
    }

    @Test
    void virtualAddressPicksTheServiceByOriginalDestination() {
        Netns.CurlResponse r = curl("http://127.0.0.4:80/by-address");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("app-ok");
        assertThat(r.header("x-seen-host")).as(r.raw()).hasValue("127.0.0.4");
        awaitSidecarLine(l -> l.equals("app-request GET /by-address host=127.0.0.4"), "the app saw /by-address");
        String log = awaitSidecarLine(l -> l.contains("\"path\":\"/by-address\"") || l.contains("/by-address\""),
                "access log of /by-address");
        assertThat(log).contains("\"upstream_host\":\"127.0.0.3:8080\"");
    }

    @Test
    void hostHeaderPicksTheServiceWhateverTheDestination() {
        Netns.CurlResponse r = curl("http://127.0.0.2:9999/by-host", "-H", "Host: known.test");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("app-ok");
        assertThat(r.header("x-seen-host")).as(r.raw()).hasValue("known.test");
        awaitSidecarLine(l -> l.equals("app-request GET /by-host host=known.test"), "the app saw /by-host");
    }

    @Test
    void unknownDestinationPassesThroughToTheOriginalDestination() {
        Netns.CurlResponse r = curl("http://127.0.0.2:8080/unknown");
        assertThat(r.status()).as(r.raw()).isEqualTo(503);
        assertThat(r.header("x-remora-response-flags")).as(r.raw()).hasValue("UF");
        String log = awaitSidecarLine(l -> l.contains("/unknown") && l.contains("upstream_cluster"),
                "access log of /unknown");
        assertThat(log).contains("\"upstream_cluster\":\"PassthroughCluster\"")
                .contains("\"upstream_host\":\"127.0.0.2:8080\"");
        assertThat(sidecarOutput).noneMatch(l -> l.startsWith("app-request") && l.contains("/unknown"));
    }

    @Test
    void tcpServiceEchoesThroughTheProxy() {
        CommandLine.Result r = asClient("timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.4/5432 && printf 'ping-5432' >&3 && head -c 9 <&3");
        assertThat(r.ok()).as(r.output()).isTrue();
        assertThat(r.output()).isEqualTo("ping-5432");
        String log = awaitSidecarLine(l -> l.contains("\"upstream_host\":\"127.0.0.3:5432\""),
                "TCP access log of db.test");
        assertThat(log).contains("\"upstream_cluster\":\"");
    }

    @Test
    void directConnectionToTheCapturePortIsRefusedAsALoop() {
        Netns.CurlResponse r = curl("http://127.0.0.1:15001/loop-probe", "-H", "Host: known.test");
        assertThat(r.exitCode()).as(r.raw()).isNotZero();
        assertThat(r.raw()).doesNotContain("app-ok");
        String log = awaitSidecarLine(l -> l.contains("\"event\":\"capture_loop_refused\""), "capture_loop_refused");
        assertThat(log).contains("127.0.0.1:15001");
        assertThat(sidecarOutput).noneMatch(l -> l.contains("/loop-probe"));
    }

    /**
     * The proxy's own passthrough connection, when iptables captures it too, comes back to the capture listener
     * with the same original destination: a loop, like a direct connection to 15001. The proxy must not keep
     * relaying the request to itself: the client gets a local 503, the app never sees the request, and the
     * request is proxied once (one access-log line). Where the proxy does loop, each hop opens two more sockets
     * until a limit ends it, thousands of hops later.
     */
    @Test
    @Order(Integer.MAX_VALUE) // last: a proxy that does loop keeps connecting to itself until something gives
    void passthroughCapturedAgainIsNotRelayedToItself() {
        Netns.CurlResponse r = curl("http://" + SELF_CAPTURED + ":8080/self-capture");
        awaitSidecarLine(l -> l.contains("\"path\":\"/self-capture\""), "access log of /self-capture");
        // Every hop of that exchange finished before curl got its answer; a later request's line comes after theirs.
        Netns.CurlResponse marker = curl("http://127.0.0.4:80/after-self-capture");
        assertThat(marker.status()).as(marker.raw()).isEqualTo(200);
        awaitSidecarLine(l -> l.contains("\"path\":\"/after-self-capture\""), "access log of the marker request");
        long proxied = sidecarOutput.stream().filter(l -> l.contains("\"path\":\"/self-capture\"")).count();
        assertThat(r.status()).as(r.raw()).isEqualTo(503);
        assertThat(sidecarOutput).noneMatch(l -> l.startsWith("app-request") && l.contains("/self-capture"));
        // Two lines: the app's request relayed once, and the captured copy of it refused with flag LOOP.
        assertThat(proxied).as("access-log lines of /self-capture (the relay, then the refused loop)").isEqualTo(2);
        assertThat(sidecarOutput).anyMatch(l -> l.contains("\"path\":\"/self-capture\"")
                && l.contains("\"flags\":\"LOOP\""));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private CommandLine.Result inNs(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return CommandLine.run(CMD_TIMEOUT, cmd);
    }

    private CommandLine.Result asClient(String... command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid", CLIENT_UID, "--regid", CLIENT_UID,
                "--clear-groups"));
        cmd.addAll(List.of(command));
        return inNs(cmd.toArray(String[]::new));
    }

    /** One HTTP/1.1 exchange by curl inside the namespace: status, headers and body as curl printed them. */
    private Netns.CurlResponse curl(String url, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-i", "--http1.1", "--connect-timeout", "5",
                "--max-time", "10"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        CommandLine.Result r = asClient(cmd.toArray(String[]::new));
        return Netns.CurlResponse.parse(r.exitCode(), r.output());
    }

    private String awaitSidecarLine(Predicate<String> p, String what) {
        return Eventually.within(WAIT).unless(() -> sidecar != null && !sidecar.isAlive())
                .reporting(() -> "output so far:\n" + String.join("\n", sidecarOutput))
                .untilFound("sidecar output line: " + what, () -> sidecarOutput.stream().filter(p).findFirst());
    }
}
