package io.remora.proxy.listener;

import io.remora.config.HostPort;
import io.remora.config.Protocol;
import io.remora.config.Sidecar;

import java.util.Map;
import java.util.Objects;

/**
 * One listening socket of the sidecar and what traffic arriving on it means. One record per kind, each with only
 * the fields that kind has, so no caller reads a field that is null because of another kind's shape; where a
 * connection goes is worked out from it by {@link Destinations}.
 */
public sealed interface ListenerSpec permits ListenerSpec.Inbound, ListenerSpec.ExplicitUpstream,
        ListenerSpec.Capture {

    /** For logs and /config_dump: {@code inbound}, {@code capture}, {@code upstream:payments.shop@127.0.0.1:9001}. */
    String name();

    /** The address to bind (port 0 picks a free port). */
    HostPort bind();

    /** Whether the listener serves the local app's calls out (capture, explicit upstream) rather than calls in. */
    boolean outbound();

    /** The listener as the user knows it, in a bind failure: {@code inbound}, {@code outbound upstream p.shop}. */
    String role();

    /** The {@code kind} in /config_dump ({@code inbound}, {@code outbound_capture}, {@code outbound_explicit}). */
    String dumpKind();

    /** What /config_dump shows of this kind beyond name, kind and address. */
    void dumpDetails(Map<String, Object> into);

    /**
     * Port 15006: traffic from other sidecars to the local app.
     *
     * @param app         the local application's address
     * @param appProtocol the protocol the local application speaks
     * @param tls         server certificate when the listener terminates TLS (ALPN h2 / http/1.1); else null
     */
    record Inbound(HostPort bind, HostPort app, Protocol appProtocol, Sidecar.Tls tls) implements ListenerSpec {
        public Inbound {
            Objects.requireNonNull(bind, "bind");
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(appProtocol, "appProtocol");
        }

        @Override
        public String name() {
            return "inbound";
        }

        @Override
        public boolean outbound() {
            return false;
        }

        @Override
        public String role() {
            return "inbound";
        }

        @Override
        public String dumpKind() {
            return "inbound";
        }

        @Override
        public void dumpDetails(Map<String, Object> into) {
            into.put("app", app.toString());
            into.put("appProtocol", appProtocol.name().toLowerCase());
        }
    }

    /**
     * {@code 127.0.0.1:9001 -> payments.shop}: an app that is not behind iptables calls the listener.
     *
     * @param serviceKey the service every connection goes to
     */
    record ExplicitUpstream(HostPort bind, String serviceKey) implements ListenerSpec {
        public ExplicitUpstream {
            Objects.requireNonNull(bind, "bind");
            Objects.requireNonNull(serviceKey, "serviceKey");
        }

        @Override
        public String name() {
            return "upstream:" + serviceKey + "@" + bind;
        }

        @Override
        public boolean outbound() {
            return true;
        }

        @Override
        public String role() {
            return "outbound upstream " + serviceKey;
        }

        @Override
        public String dumpKind() {
            return "outbound_explicit";
        }

        @Override
        public void dumpDetails(Map<String, Object> into) {
            into.put("service", serviceKey);
        }
    }

    /** Port 15001: the iptables REDIRECT target; the original destination decides. */
    record Capture(HostPort bind) implements ListenerSpec {
        public Capture {
            Objects.requireNonNull(bind, "bind");
        }

        @Override
        public String name() {
            return "capture";
        }

        @Override
        public boolean outbound() {
            return true;
        }

        @Override
        public String role() {
            return "outbound capture";
        }

        @Override
        public String dumpKind() {
            return "outbound_capture";
        }

        @Override
        public void dumpDetails(Map<String, Object> into) {
        }
    }

    /** The listeners a Sidecar spec asks for, by kind; the same as the records' constructors. */
    static ListenerSpec explicit(HostPort bind, String serviceKey) {
        return new ExplicitUpstream(bind, serviceKey);
    }

    static ListenerSpec capture(HostPort bind) {
        return new Capture(bind);
    }

    static ListenerSpec inbound(HostPort bind, HostPort app, Protocol appProtocol, Sidecar.Tls tls) {
        return new Inbound(bind, app, appProtocol, tls);
    }
}
