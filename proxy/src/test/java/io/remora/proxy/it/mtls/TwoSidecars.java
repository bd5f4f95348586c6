package io.remora.proxy.it.mtls;

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
     * @param serverMtls     the server sidecar's {@code mtls:} block
     * @param clientMtls     the client sidecar's {@code mtls:} block (may be empty)
     * @param expectedServer the identity the client expects of the server (null: plaintext to it)
     */
    TwoSidecars(String protocol, InetSocketAddress app, String serverMtls, String clientMtls, String expectedServer)
            throws Exception {
        this(protocol, app, serverMtls, clientMtls, expectedServer, "");
    }

    /** @param serverExtra further documents of the server sidecar's config (---separated), e.g. policies */
    TwoSidecars(String protocol, InetSocketAddress app, String serverMtls, String clientMtls, String expectedServer,
                String serverExtra) throws Exception {
        server = Edge.start(sidecar("server", serverMtls)
                + "  inbound: {listen: 127.0.0.1:0, app: 127.0.0.1:" + app.getPort() + ", appProtocol: " + protocol
                + "}\n" + serverExtra);
        try {
            client = Edge.start(sidecar("client", clientMtls)
                    + "  outbound: {upstreams: [{listen: 127.0.0.1:0, service: svc.test}]}\n"
                    + "---\napiVersion: remora.io/v1\nkind: Service\nmetadata: {name: svc, namespace: test}\nspec:\n"
                    + "  protocol: " + protocol + "\n"
                    + "  endpoints:\n    - address: 127.0.0.1:" + server.inboundAddress().getPort() + "\n"
                    + (expectedServer == null ? "" : "      identity: " + expectedServer + "\n"));
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    static String sidecar(String name, String mtls) {
        return "apiVersion: remora.io/v1\nkind: Sidecar\nmetadata: {name: " + name + ", namespace: test}\nspec:\n"
                + "  threads: 1\n  accessLog: false\n  admin: 127.0.0.1:0\n  metrics: 127.0.0.1:0\n"
                + "  health: 127.0.0.1:0\n" + mtls;
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
