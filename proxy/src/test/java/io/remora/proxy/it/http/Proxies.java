package io.remora.proxy.it.http;

import io.remora.config.ConfigLoader;
import io.remora.proxy.ProxyServer;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * Builds the YAML of a test sidecar (every listener on 127.0.0.1 port 0, one event loop, no access log) and
 * starts a proxy from it.
 */
public final class Proxies {
    static final String NAMESPACE = "test";

    private Proxies() {
    }

    /** A Sidecar with one explicit upstream listener per service name (in namespace {@code test}). */
    public static String sidecar(String... services) {
        return sidecar(null, null, services);
    }

    /** A Sidecar with an inbound listener to {@code app} (may be null) and explicit upstream listeners. */
    static String sidecar(InetSocketAddress app, String appProtocol, String... services) {
        StringBuilder y = new StringBuilder();
        y.append("""
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: t, namespace: test}
                spec:
                  threads: 1
                  accessLog: false
                  admin: 127.0.0.1:0
                  metrics: 127.0.0.1:0
                  health: 127.0.0.1:0
                """);
        if (app != null) {
            y.append("  inbound: {listen: 127.0.0.1:0, app: ").append(hostPort(app))
                    .append(", appProtocol: ").append(appProtocol).append("}\n");
        }
        if (services.length > 0) {
            y.append("  outbound:\n    upstreams:\n");
            for (String s : services) {
                y.append("      - {listen: 127.0.0.1:0, service: ").append(key(s)).append("}\n");
            }
        }
        return y.toString();
    }

    /** A Service named {@code name} in namespace {@code test} speaking {@code protocol} to the endpoints. */
    static String service(String name, String protocol, InetSocketAddress... endpoints) {
        StringBuilder y = new StringBuilder();
        y.append("---\napiVersion: remora.io/v1\nkind: Service\nmetadata: {name: ").append(name)
                .append(", namespace: test}\nspec:\n  protocol: ").append(protocol).append('\n');
        if (endpoints.length > 0) {
            y.append("  endpoints:\n");
            for (InetSocketAddress e : endpoints) {
                y.append("    - {address: ").append(hostPort(e)).append("}\n");
            }
        }
        return y.toString();
    }

    static String key(String serviceName) {
        return serviceName + "." + NAMESPACE;
    }

    static ProxyServer start(String yaml) throws Exception {
        return ProxyServer.start(ConfigLoader.parse("test.yaml", yaml, Map.of()));
    }

    static String hostPort(InetSocketAddress a) {
        return "127.0.0.1:" + a.getPort();
    }
}
