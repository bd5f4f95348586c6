package io.remora.proxy.it.inbound;

import io.remora.proxy.testing.CommandLine;
import io.remora.proxy.testing.Netns;
import io.remora.proxy.testing.Netns.CurlResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The inbound listener by original destination port, in a network namespace standing in for a pod: the client (an
 * ordinary user) dials the pod IP on the app's ports, a nat rule redirects that to 15006 as the pod's rules would,
 * and {@link InboundPodMain}'s sidecar sends each connection to the app on the port dialled — wherever that app is
 * bound, as the port is declared (HTTP parsed, TCP relayed), sniffed where undeclared — and refuses a connection
 * that was dialled to the inbound listener itself.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InboundByPortNetnsTest {
    private static final String CLIENT = "65534";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Netns pod;
    private Netns.Proc sidecar;

    @BeforeAll
    void startPod() throws Exception {
        pod = Netns.create("inbound");
        pod.addEth0("rmi" + (ProcessHandle.current().pid() % 100000), InboundPodMain.POD_IP + "/24");
        // The pod's inbound rules as Istio writes them, reduced to what one namespace can show: the sidecar's
        // connections from 127.0.0.6 pass, the client's connections to the pod IP are redirected to 15006.
        pod.must("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-s", "127.0.0.6/32", "-j", "RETURN");
        pod.must("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", InboundPodMain.POD_IP, "-m", "owner",
                "--uid-owner", CLIENT, "-j", "REDIRECT", "--to-ports", "15006");
        sidecar = pod.java(InboundPodMain.class.getName());
        sidecar.await(l -> l.equals("READY"), "READY", WAIT);
    }

    @AfterAll
    void stopPod() throws Exception {
        if (pod != null) {
            pod.close();
        }
    }

    @ParameterizedTest(name = "port {0}: app bound {1}")
    @CsvSource({"8080, wildcard, 127.0.0.1", "8081, pod-ip, 127.0.0.6", "8082, loopback, 127.0.0.1",
            "7000, undeclared, 127.0.0.1"})
    void eachPortReachesItsAppWhereverItIsBound(int port, String app, String seenFrom) {
        CurlResponse r = pod.curl(CLIENT, "http://" + InboundPodMain.POD_IP + ":" + port + "/hello");

        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(app);
        assertThat(r.header("x-seen-remote")).as("where the sidecar connected from").hasValue(seenFrom);
        String log = sidecar.await(l -> l.contains("\"upstream_cluster\":\"inbound|" + port + "\""),
                "access log of port " + port, WAIT);
        assertThat(log).contains("\"direction\":\"inbound\"");
    }

    @Test
    void aDeclaredTcpPortIsRelayedByteForByte() {
        CommandLine.Result r = pod.as(CLIENT, java(), "-cp", classPath(), InboundPodMain.class.getName(),
                "echo-client", InboundPodMain.POD_IP, "9000", String.valueOf(1 << 20));

        assertThat(r.ok()).as(r.output()).isTrue();
        String[] f = r.output().trim().split(" ");
        assertThat(f[2]).isEqualTo("bytes=" + (1 << 20));
        assertThat(f[1].substring("received=".length())).isEqualTo(f[0].substring("sent=".length()));
        sidecar.await(l -> l.contains("\"protocol\":\"TCP\"") && l.contains("inbound|9000"), "TCP access log", WAIT);
    }

    @Test
    void aConnectionDialledToTheInboundListenerItselfIsRefusedAsALoop() {
        CurlResponse r = pod.curl(CLIENT, "http://" + InboundPodMain.POD_IP + ":15006/loop");

        assertThat(r.status()).as(r.raw()).isEqualTo(-1);
        String log = sidecar.await(l -> l.contains("\"event\":\"inbound_loop_refused\""), "inbound_loop_refused",
                WAIT);
        assertThat(log).contains(InboundPodMain.POD_IP + ":15006");
        assertThat(sidecar.lines()).noneMatch(l -> l.contains("/loop"));
    }

    private static String java() {
        return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }
}
