package io.remora.proxy.it.http;

import io.remora.config.testing.TestMesh;
import io.remora.config.testing.TestMesh.ServiceDoc;
import io.remora.config.testing.TestMesh.SidecarDoc;
import io.remora.proxy.ProxyServer;

import java.net.InetSocketAddress;

/**
 * The test mesh most HTTP tests need: one sidecar {@code t.test} with an upstream listener per service (and
 * optionally an inbound listener), and services in namespace {@code test}; started as a proxy.
 */
public final class Proxies {
    static final String NAMESPACE = "test";

    private Proxies() {
    }

    /** A Sidecar with one explicit upstream listener per service name (in namespace {@code test}). */
    public static SidecarDoc sidecar(String... services) {
        return sidecar(null, null, services);
    }

    /** A Sidecar with an inbound listener to {@code app} (may be null) and explicit upstream listeners. */
    static SidecarDoc sidecar(InetSocketAddress app, String appProtocol, String... services) {
        SidecarDoc s = TestMesh.sidecar("t", NAMESPACE);
        if (app != null) {
            s.inbound(app, appProtocol);
        }
        for (String service : services) {
            s.upstream(key(service));
        }
        return s;
    }

    /** A Service named {@code name} in namespace {@code test} speaking {@code protocol} to the endpoints. */
    static ServiceDoc service(String name, String protocol, InetSocketAddress... endpoints) {
        return TestMesh.service(name, NAMESPACE).protocol(protocol).endpoints((Object[]) endpoints);
    }

    static String key(String serviceName) {
        return serviceName + "." + NAMESPACE;
    }

    static ProxyServer start(TestMesh.Part... mesh) throws Exception {
        return ProxyServer.start(TestMesh.of(mesh).snapshot());
    }
}
