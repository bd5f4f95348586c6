package io.remora.proxy.listener;

import io.remora.config.HostPort;
import io.remora.config.Protocol;
import io.remora.config.Sidecar;

/**
 * One listening socket of the sidecar and what traffic arriving on it means.
 *
 * @param name        for logs and /config_dump: {@code inbound}, {@code capture}, {@code upstream:payments.shop}
 * @param kind        outbound explicit upstream, outbound capture, or inbound
 * @param bind        address to bind (port 0 picks a free port)
 * @param serviceKey  for {@link Kind#OUTBOUND_EXPLICIT}: the service every connection goes to
 * @param app         for {@link Kind#INBOUND}: the local application's address
 * @param appProtocol for {@link Kind#INBOUND}: the protocol the local application speaks
 * @param inboundCluster for {@link Kind#INBOUND}: {@code inbound|<app port>}, named once per listener
 * @param tls         server certificate when the listener terminates TLS (ALPN h2 / http/1.1); else null
 */
public record ListenerSpec(String name, Kind kind, HostPort bind, String serviceKey, HostPort app,
                           Protocol appProtocol, String inboundCluster, Sidecar.Tls tls) {

    public enum Kind {
        /** {@code 127.0.0.1:9001 -> payments.shop}: an app that is not behind iptables calls the listener. */
        OUTBOUND_EXPLICIT,
        /** Port 15001: iptables REDIRECT target; the original destination decides. */
        OUTBOUND_CAPTURE,
        /** Port 15006: traffic from other sidecars to the local app. */
        INBOUND
    }

    public boolean outbound() {
        return kind != Kind.INBOUND;
    }

    public static ListenerSpec explicit(HostPort bind, String serviceKey) {
        return new ListenerSpec("upstream:" + serviceKey + "@" + bind, Kind.OUTBOUND_EXPLICIT, bind, serviceKey, null,
                null, null, null);
    }

    public static ListenerSpec capture(HostPort bind) {
        return new ListenerSpec("capture", Kind.OUTBOUND_CAPTURE, bind, null, null, null, null, null);
    }

    public static ListenerSpec inbound(HostPort bind, HostPort app, Protocol appProtocol, Sidecar.Tls tls) {
        return new ListenerSpec("inbound", Kind.INBOUND, bind, null, app, appProtocol, "inbound|" + app.port(), tls);
    }
}
