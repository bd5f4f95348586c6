package io.remora.launcher.init;

import java.util.List;
import java.util.Objects;

/**
 * The nat rules that send a pod's TCP through its sidecar, as one {@code iptables-restore} transaction (all or
 * nothing). The same rules as istio-iptables and linkerd's proxy-init, for the same reasons, in this order:
 *
 * <pre>
 * PREROUTING -p tcp -j REMORA_INBOUND                      inbound: everything arriving at the pod
 *   REMORA_INBOUND: excluded inbound ports -j RETURN       the sidecar's own ports (15020, 15021...), user's
 *                   (listed inbound ports | all) -j REMORA_IN_REDIRECT
 *   REMORA_IN_REDIRECT: REDIRECT --to-ports 15006
 * OUTPUT -p tcp -j REMORA_OUTPUT                           outbound: everything the pod's processes send
 *   REMORA_OUTPUT: excluded outbound ports -j RETURN
 *                  -o lo -s 127.0.0.6 -j RETURN            the sidecar's connection to an app bound on the pod IP
 *                  -o lo ! -d 127.0.0.1 --uid-owner proxy -j REMORA_IN_REDIRECT
 *                                                          the sidecar calling a service that lands on its own
 *                                                          pod: through the inbound side, as a caller would
 *                  -o lo --uid-owner ! proxy -j RETURN     the app talking to itself over loopback
 *                  --uid-owner proxy -j RETURN             the sidecar's own connections: never captured again
 *                  (the same three for --gid-owner proxy)
 *                  -d 127.0.0.1 -j RETURN                  loopback
 *                  excluded CIDRs -j RETURN
 *                  (included CIDRs | all) -j REMORA_REDIRECT
 *   REMORA_REDIRECT: REDIRECT --to-ports 15001
 * </pre>
 *
 * Declaring a chain in the transaction empties it, so a second run (an init container restarted) replaces the
 * rules instead of adding to them or failing with "chain already exists"; the two jumps from PREROUTING and OUTPUT
 * are added only when {@link #restore} is told they are missing.
 */
public final class InterceptionRules {
    public static final String INBOUND = "REMORA_INBOUND";
    public static final String IN_REDIRECT = "REMORA_IN_REDIRECT";
    public static final String OUTPUT = "REMORA_OUTPUT";
    public static final String REDIRECT = "REMORA_REDIRECT";
    public static final List<String> CHAINS = List.of(INBOUND, IN_REDIRECT, OUTPUT, REDIRECT);
    /** The source address the sidecar uses towards an app bound on the pod IP (IPv4, IPv6). */
    public static final String PASSTHROUGH_V4 = "127.0.0.6/32";
    public static final String PASSTHROUGH_V6 = "::6/128";

    /**
     * What to capture.
     *
     * @param inboundPorts         ports to capture inbound; empty means all
     * @param excludeInboundPorts  ports never captured inbound (the sidecar's own health and metrics ports among
     *                             them)
     * @param excludeOutboundPorts destination ports never captured outbound
     * @param excludeOutboundCidrs destinations never captured outbound
     * @param includeOutboundCidrs destinations captured outbound; empty means all
     */
    public record Settings(List<Integer> inboundPorts, List<Integer> excludeInboundPorts,
                           List<Integer> excludeOutboundPorts, List<String> excludeOutboundCidrs,
                           List<String> includeOutboundCidrs, int proxyUid, int proxyGid, int inboundPort,
                           int outboundPort) {
        public Settings {
            inboundPorts = List.copyOf(inboundPorts);
            excludeInboundPorts = List.copyOf(excludeInboundPorts);
            excludeOutboundPorts = List.copyOf(excludeOutboundPorts);
            excludeOutboundCidrs = List.copyOf(excludeOutboundCidrs);
            includeOutboundCidrs = List.copyOf(includeOutboundCidrs);
        }
    }

    private InterceptionRules() {
    }

    /**
     * The {@code iptables-restore --noflush} input for one address family.
     *
     * @param addJumps  whether the jumps from PREROUTING and OUTPUT are to be added (false when they exist)
     * @param ipv6      the rules for {@code ip6tables-restore}: IPv6 loopback and passthrough addresses, and only the
     *                  CIDRs of that family
     */
    public static String restore(Settings s, boolean addJumps, boolean ipv6) {
        Objects.requireNonNull(s, "settings");
        String loopback = ipv6 ? "::1/128" : "127.0.0.1/32";
        StringBuilder r = new StringBuilder("*nat\n");
        for (String chain : CHAINS) {
            r.append(':').append(chain).append(" - [0:0]\n");
        }
        r.append("-A ").append(IN_REDIRECT).append(" -p tcp -j REDIRECT --to-ports ").append(s.inboundPort())
                .append('\n');
        r.append("-A ").append(REDIRECT).append(" -p tcp -j REDIRECT --to-ports ").append(s.outboundPort())
                .append('\n');
        for (int port : s.excludeInboundPorts()) {
            r.append("-A ").append(INBOUND).append(" -p tcp --dport ").append(port).append(" -j RETURN\n");
        }
        if (s.inboundPorts().isEmpty()) {
            r.append("-A ").append(INBOUND).append(" -p tcp -j ").append(IN_REDIRECT).append('\n');
        } else {
            for (int port : s.inboundPorts()) {
                r.append("-A ").append(INBOUND).append(" -p tcp --dport ").append(port).append(" -j ")
                        .append(IN_REDIRECT).append('\n');
            }
        }
        for (int port : s.excludeOutboundPorts()) {
            r.append("-A ").append(OUTPUT).append(" -p tcp --dport ").append(port).append(" -j RETURN\n");
        }
        r.append("-A ").append(OUTPUT).append(" -o lo -s ").append(ipv6 ? PASSTHROUGH_V6 : PASSTHROUGH_V4)
                .append(" -j RETURN\n");
        owner(r, "--uid-owner", s.proxyUid(), loopback);
        owner(r, "--gid-owner", s.proxyGid(), loopback);
        r.append("-A ").append(OUTPUT).append(" -d ").append(loopback).append(" -j RETURN\n");
        for (String cidr : s.excludeOutboundCidrs()) {
            if (isV6(cidr) == ipv6) {
                r.append("-A ").append(OUTPUT).append(" -d ").append(cidr).append(" -j RETURN\n");
            }
        }
        if (s.includeOutboundCidrs().isEmpty()) {
            r.append("-A ").append(OUTPUT).append(" -j ").append(REDIRECT).append('\n');
        } else {
            for (String cidr : s.includeOutboundCidrs()) {
                if (isV6(cidr) == ipv6) {
                    r.append("-A ").append(OUTPUT).append(" -d ").append(cidr).append(" -j ").append(REDIRECT)
                            .append('\n');
                }
            }
        }
        if (addJumps) {
            r.append("-A PREROUTING -p tcp -j ").append(INBOUND).append('\n');
            r.append("-A OUTPUT -p tcp -j ").append(OUTPUT).append('\n');
        }
        return r.append("COMMIT\n").toString();
    }

    private static void owner(StringBuilder r, String match, int id, String loopback) {
        r.append("-A ").append(OUTPUT).append(" -o lo ! -d ").append(loopback).append(" -m owner ").append(match)
                .append(' ').append(id).append(" -j ").append(IN_REDIRECT).append('\n');
        r.append("-A ").append(OUTPUT).append(" -o lo -m owner ! ").append(match).append(' ').append(id)
                .append(" -j RETURN\n");
        r.append("-A ").append(OUTPUT).append(" -m owner ").append(match).append(' ').append(id)
                .append(" -j RETURN\n");
    }

    /**
     * The {@code iptables-restore --noflush} input that removes the rules: the two jumps (when {@code jumps} says
     * they are there) and the four chains.
     */
    public static String cleanup(boolean prerouting, boolean output) {
        StringBuilder r = new StringBuilder("*nat\n");
        if (prerouting) {
            r.append("-D PREROUTING -p tcp -j ").append(INBOUND).append('\n');
        }
        if (output) {
            r.append("-D OUTPUT -p tcp -j ").append(OUTPUT).append('\n');
        }
        for (String chain : CHAINS) {
            r.append(':').append(chain).append(" - [0:0]\n");
        }
        for (String chain : CHAINS) {
            r.append("-X ").append(chain).append('\n');
        }
        return r.append("COMMIT\n").toString();
    }

    static boolean isV6(String cidr) {
        return cidr.indexOf(':') >= 0;
    }
}
