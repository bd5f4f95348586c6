package io.remora.controlplane.push;

import io.remora.config.HostPort;

import java.net.InetAddress;

/**
 * Where the control plane reaches a sidecar's {@code /stats/prometheus}: the address its hello names
 * ({@code Node.metrics}), with a wildcard host ({@code 0.0.0.0}, {@code ::}) replaced by the address its stream comes
 * from, as Prometheus reaches a pod on its IP. Only the stream's own address (or loopback, for a sidecar on the
 * control plane's machine) is taken: an authenticated sidecar cannot send the control plane's scraper to some other
 * host.
 */
final class MetricsAddress {
    private MetricsAddress() {
    }

    /** {@code host:port} to scrape; null when the hello named none, one that does not parse, or another host. */
    static String resolve(String told, InetAddress remote) {
        if (told == null || remote == null) {
            return null;
        }
        HostPort hp;
        InetAddress host;
        try {
            hp = HostPort.parse(told);
            if (hp.port() == 0 || !isIpLiteral(hp.host())) {
                return null;
            }
            host = InetAddress.getByName(hp.host()); // a literal: no lookup
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return null;
        }
        InetAddress target;
        if (host.isAnyLocalAddress()) {
            target = remote;
        } else if (host.equals(remote) || host.isLoopbackAddress() && remote.isLoopbackAddress()) {
            target = host;
        } else {
            return null;
        }
        return new HostPort(target.getHostAddress(), hp.port()).toString();
    }

    private static boolean isIpLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(c >= '0' && c <= '9' || c == '.')) {
                return false;
            }
        }
        return !host.isEmpty();
    }
}
