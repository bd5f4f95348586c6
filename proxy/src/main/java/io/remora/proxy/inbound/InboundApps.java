package io.remora.proxy.inbound;

import io.remora.config.HostPort;
import io.remora.config.Protocol;
import io.remora.config.Sidecar;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/**
 * The pod's app as the inbound listener sees it, compiled once from the Sidecar's {@code inbound}.
 *
 * <p>Simple form ({@code inbound.app}): every connection goes to that one address. By original port
 * ({@code inbound.ports}, the captured form Istio's inbound listener uses): a connection goes to the port the caller
 * dialled, spoken as declared for that port (undeclared ports are sniffed), at the address the app listens on —
 * {@code 127.0.0.1} when it is bound to a wildcard or loopback address, else the pod IP it dialled, connected from
 * {@code 127.0.0.6} so the interception rules (which return early for that source) do not capture the proxy's own
 * connection back into the inbound listener.
 */
public final class InboundApps {
    /** Istio's {@code InboundPassthroughBindIpv4}: the source the pod's rules let through to the app. */
    public static final InetSocketAddress PASSTHROUGH_SOURCE_V4 = source(new byte[] {127, 0, 0, 6});
    /** Istio's {@code InboundPassthroughBindIpv6}, {@code ::6}. */
    public static final InetSocketAddress PASSTHROUGH_SOURCE_V6 = source(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 6});

    private final Sidecar.Inbound config;
    /** The app's host, resolved once here, so no event loop ever waits on a name lookup for it. */
    private final InetAddress appHost;
    private final InboundTarget single;
    private final Map<Integer, Port> ports = new HashMap<>();
    private final LocalListeners listeners;

    /** One declared port, with what never changes precomputed. */
    private record Port(Protocol protocol, String cluster, InboundTarget loopback) {
    }

    public InboundApps(Sidecar.Inbound config, LocalListeners listeners) {
        this.config = config;
        this.listeners = listeners;
        HostPort app = config.app();
        this.appHost = new InetSocketAddress(app.host(), app.port()).getAddress();
        this.single = new InboundTarget(new InetSocketAddress(appHost, app.port()), null, config.appProtocol(),
                "inbound|" + app.port());
        for (Sidecar.InboundPort p : config.ports()) {
            ports.put(p.port(), port(p.port(), p.protocol()));
        }
    }

    private Port port(int port, Protocol protocol) {
        String cluster = "inbound|" + port;
        return new Port(protocol, cluster, new InboundTarget(new InetSocketAddress(appHost, port), null,
                protocol, cluster));
    }

    /** Whether connections are sent on by their original destination port. */
    public boolean byOriginalPort() {
        return config.byOriginalPort();
    }

    /**
     * The declared protocol of the port {@code originalDst} names (null: undeclared, sniff); in the simple form,
     * {@code inbound.appProtocol}.
     */
    public Protocol protocol(InetSocketAddress originalDst) {
        if (!byOriginalPort() || originalDst == null) {
            return single.protocol();
        }
        Port p = ports.get(originalDst.getPort());
        return p == null ? null : p.protocol();
    }

    /** The app's port a connection whose original destination is {@code originalDst} goes to. */
    public int port(InetSocketAddress originalDst) {
        return !byOriginalPort() || originalDst == null ? single.address().getPort() : originalDst.getPort();
    }

    /** Where a connection whose original destination is {@code originalDst} goes (the simple form: the one app). */
    public InboundTarget target(InetSocketAddress originalDst) {
        if (!byOriginalPort() || originalDst == null) {
            return single;
        }
        int port = originalDst.getPort();
        Port p = ports.get(port);
        if (p == null) {
            p = port(port, null);
        }
        if (listeners.reach(port) == LocalListeners.Reach.POD_ADDRESS && !originalDst.getAddress().isLoopbackAddress()) {
            InetSocketAddress from = originalDst.getAddress() instanceof java.net.Inet6Address ? PASSTHROUGH_SOURCE_V6
                    : PASSTHROUGH_SOURCE_V4;
            return new InboundTarget(originalDst, from, p.protocol(), p.cluster());
        }
        return p.loopback();
    }

    private static InetSocketAddress source(byte[] address) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), 0);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
