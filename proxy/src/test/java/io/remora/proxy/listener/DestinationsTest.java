package io.remora.proxy.listener;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remora.config.ConfigLoader;
import io.remora.config.HostPort;
import io.remora.config.Protocol;
import io.remora.config.Snapshot;
import io.remora.log.JsonWriter;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.Transport;
import io.remora.proxy.log.AccessLog;
import io.remora.proxy.metrics.ProxyMetrics;
import io.remora.proxy.route.Destination;
import io.remora.proxy.route.RouteTable;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resolving as a function: a listener and a connection in, a destination and its framing out; the same answer for
 * the HTTP path and the TCP path.
 */
class DestinationsTest {
    private static final String CONFIG = """
            apiVersion: remora.io/v1
            kind: Sidecar
            metadata: {name: w, namespace: t}
            spec:
              threads: 1
              accessLog: false
              inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:8080}
            ---
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: api, namespace: t}
            spec:
              hosts: [api.example]
              addresses: [10.96.0.10:80]
              endpoints: [{address: 127.0.0.1:9}]
            ---
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: db, namespace: t}
            spec:
              protocol: tcp
              addresses: [10.96.0.20:7000]
              endpoints: [{address: 127.0.0.1:9}]
            ---
            apiVersion: remora.io/v1
            kind: AuthorizationPolicy
            metadata: {name: no-bad, namespace: t}
            spec:
              action: DENY
              rules: [{from: {principals: [spiffe://cluster.local/ns/t/sa/bad]}}]
            """;
    private static final ListenerSpec EXPLICIT_API = new ListenerSpec.ExplicitUpstream(new HostPort("127.0.0.1", 0),
            "api.t");
    private static final ListenerSpec CAPTURE = new ListenerSpec.Capture(new HostPort("127.0.0.1", 0));
    private static final ListenerSpec INBOUND = new ListenerSpec.Inbound(new HostPort("127.0.0.1", 0),
            new HostPort("127.0.0.1", 8080), Protocol.HTTP, null);
    private static final InetSocketAddress UNKNOWN = new InetSocketAddress("192.0.2.7", 8080);

    private final ProxyContext pc;

    DestinationsTest() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("t.yaml", CONFIG, Map.of());
        pc = new ProxyContext(snapshot.sidecarOrDefault(), Transport.best(),
                new ProxyMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), "w", "t"),
                new AccessLog(new JsonWriter(new ByteArrayOutputStream()), false), RouteTable.build(snapshot),
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    private Destination resolve(ListenerSpec listener, InetSocketAddress originalDst, String authority) {
        return Destinations.resolve(pc, listener, originalDst, null, authority);
    }

    @Test
    void aServiceIsItsRoutesFromTheCurrentTableAndItsDeclaredProtocolFramesIt() {
        Destination api = resolve(EXPLICIT_API, null, null);
        assertThat(api).isSameAs(pc.routes().byKey("api.t"));
        assertThat(Destinations.framing(pc, api, null)).isEqualTo(Framing.HTTP);
        Destination db = resolve(CAPTURE, new InetSocketAddress("10.96.0.20", 7000), null);
        assertThat(db).isSameAs(pc.routes().byKey("db.t"));
        assertThat(Destinations.framing(pc, db, new InetSocketAddress("10.96.0.20", 7000))).isEqualTo(Framing.TCP);
    }

    @Test
    void anUnknownServiceIsRefusedWithNrForBothPaths() {
        Destination gone = resolve(new ListenerSpec.ExplicitUpstream(new HostPort("127.0.0.1", 0), "gone.t"), null,
                null);
        assertThat(gone).isInstanceOfSatisfying(Destination.Refused.class, r -> {
            assertThat(r.answer().status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
            assertThat(r.answer().flags()).isEqualTo("NR");
            assertThat(r.answer().message()).contains("no service gone.t");
        });
        assertThat(Destinations.framing(pc, gone, null)).isEqualTo(Framing.SNIFFED);
    }

    @Test
    void capturedIsByHostThenByOriginalDestinationElsePassthrough() {
        assertThat(resolve(CAPTURE, UNKNOWN, "api.example:80")).isSameAs(pc.routes().byKey("api.t"));
        assertThat(resolve(CAPTURE, new InetSocketAddress("10.96.0.10", 80), "elsewhere"))
                .isSameAs(pc.routes().byKey("api.t"));
        Destination passthrough = resolve(CAPTURE, UNKNOWN, null);
        assertThat(passthrough).isEqualTo(new Destination.Passthrough(UNKNOWN));
        assertThat(Destinations.framing(pc, passthrough, UNKNOWN)).isEqualTo(Framing.SNIFFED);
        InetSocketAddress postgres = new InetSocketAddress("192.0.2.7", 5432);
        assertThat(Destinations.framing(pc, resolve(CAPTURE, postgres, null), postgres))
                .as("a server-first port is relayed without waiting").isEqualTo(Framing.TCP);
        assertThat(resolve(CAPTURE, null, "elsewhere")).isInstanceOfSatisfying(Destination.Refused.class,
                r -> assertThat(r.answer().flags()).isEqualTo("NR"));
    }

    @Test
    void theProxysOwnConnectionCapturedAgainIsALoop() {
        EmbeddedChannel upstream = new EmbeddedChannel();
        SocketAddress ownSource = upstream.localAddress();
        pc.ownConnections().track(upstream);
        assertThat(Destinations.resolve(pc, CAPTURE, UNKNOWN, ownSource, null))
                .isInstanceOfSatisfying(Destination.Refused.class, r -> {
                    assertThat(r.answer().status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
                    assertThat(r.answer().flags()).isEqualTo("LOOP");
                    assertThat(r.answer().clusterName()).isEqualTo(Destination.Passthrough.CLUSTER);
                });
        upstream.close();
        assertThat(Destinations.resolve(pc, CAPTURE, UNKNOWN, ownSource, null))
                .isInstanceOf(Destination.Passthrough.class);
    }

    @Test
    void inboundIsTheLocalAppAuthorizedByTheCallersIdentity() {
        Destination d = resolve(INBOUND, null, "anything");
        assertThat(d).isInstanceOfSatisfying(Destination.LocalApp.class, app -> {
            assertThat(app.service()).isEqualTo("w.t");
            assertThat(app.app().address()).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
            assertThat(app.app().cluster()).isEqualTo("inbound|8080");
            assertThat(Destinations.authorize(pc, app, "w.t", "spiffe://cluster.local/ns/t/sa/web", "t", null, null))
                    .isNull();
            assertThat(Destinations.authorize(pc, app, "w.t", "spiffe://cluster.local/ns/t/sa/bad", "t", "/x", "GET"))
                    .isInstanceOfSatisfying(Destination.Refused.class, r -> {
                        assertThat(r.answer().status()).isEqualTo(HttpResponseStatus.FORBIDDEN);
                        assertThat(r.answer().flags()).isEqualTo("RBAC");
                        assertThat(r.answer().clusterName()).isEqualTo("inbound|8080");
                    });
        });
        assertThat(Destinations.framing(pc, d, null)).as("the app's declared protocol").isEqualTo(Framing.HTTP);
    }
}
