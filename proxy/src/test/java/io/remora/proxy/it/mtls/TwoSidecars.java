package io.remora.proxy.it.mtls;

import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.SidecarDoc;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge;

import java.net.InetSocketAddress;

/**
 * The two-hop mesh: a client sidecar whose upstream listener sends {@code svc.test} to the server sidecar's inbound
 * listener over mTLS (the endpoint declares the server's identity), and the server sidecar in front of the app.
 */
final class TwoSidecars implements AutoCloseable {
    final ProxyServer server;
    final ProxyServer client;

    /**
     * @param protocol       the service's protocol (http, http2, tcp), also the app's
     * @param serverMtls     the server sidecar's {@code mtls} block, in flow style
     * @param clientMtls     the client sidecar's {@code mtls} block (null: none)
     * @param expectedServer the identity the client expects of the server (null: plaintext to it)
     * @param serverExtra    further documents of the server sidecar's config, e.g. policies
     */
    TwoSidecars(String protocol, InetSocketAddress app, String serverMtls, String clientMtls, String expectedServer,
                TestMesh.Part... serverExtra) throws Exception {
        server = Edge.start(TestMesh.of(sidecar("server", serverMtls).inbound(app, protocol)).and(serverExtra));
        try {
            client = Edge.start(TestMesh.of(sidecar("client", clientMtls).upstream("svc.test"),
                    TestMesh.service("svc", "test").protocol(protocol).endpoint(server.inboundAddress(), e -> {
                        if (expectedServer != null) {
                            e.set("identity", expectedServer);
                        }
                    })));
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    /** A test sidecar {@code name.test} with this {@code mtls} block (null: none). */
    static SidecarDoc sidecar(String name, String mtls) {
        SidecarDoc s = TestMesh.sidecar(name, "test");
        return mtls == null ? s : s.mtls(mtls);
    }

    InetSocketAddress entry() {
        return client.upstreamAddress("svc.test");
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
