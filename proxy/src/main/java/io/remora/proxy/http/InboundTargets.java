package io.remora.proxy.http;

import io.remora.config.HostPort;

import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/** Resolved addresses of local apps, resolved once instead of per request. */
public final class InboundTargets {
    private InboundTargets() {
    }

    private static final ConcurrentHashMap<HostPort, InetSocketAddress> RESOLVED = new ConcurrentHashMap<>();

    public static InetSocketAddress address(HostPort app) {
        return RESOLVED.computeIfAbsent(app, a -> new InetSocketAddress(a.host(), a.port()));
    }
}
