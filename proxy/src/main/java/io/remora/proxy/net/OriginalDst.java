package io.remora.proxy.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.UnixChannel;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The original destination of a connection that iptables {@code REDIRECT} sent to a capture port
 * ({@code SO_ORIGINAL_DST} / {@code IP6T_SO_ORIGINAL_DST}), read through Netty's generic
 * {@link RawUnixChannelOption} so no native code of our own is needed (works on epoll and io_uring channels).
 *
 * <p>With conntrack loaded every flow has a NAT entry, so a direct (not redirected) connection to the
 * capture port reports the listener's own address: {@link #isLoop} recognises that case, and connections to
 * any of the proxy's own ports, so the caller can refuse them instead of connecting to itself forever.
 */
public final class OriginalDst {

    /** {@code <linux/netfilter_ipv4.h>}: SO_ORIGINAL_DST = 80 at level SOL_IP (0); a struct sockaddr_in (16 bytes). */
    static final RawUnixChannelOption SO_ORIGINAL_DST = new RawUnixChannelOption("SO_ORIGINAL_DST", 0, 80, 16);
    /** {@code <linux/netfilter_ipv6/ip6_tables.h>}: IP6T_SO_ORIGINAL_DST = 80 at SOL_IPV6 (41); a sockaddr_in6 (28 bytes). */
    static final RawUnixChannelOption IP6T_SO_ORIGINAL_DST =
            new RawUnixChannelOption("IP6T_SO_ORIGINAL_DST", 41, 80, 28);

    /** Linux address family numbers (sa_family_t, host byte order). */
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    private static final long LOCAL_ADDRESSES_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static volatile LocalAddresses localAddresses;

    private OriginalDst() {
    }

    /**
     * The original destination of {@code ch} (an accepted socket), or {@code null} when it is not available:
     * not a Unix-native channel (NIO), no NAT entry for the flow (ENOENT), or a reply the kernel did not fill.
     * Call it on the channel's event loop; it is one {@code getsockopt}.
     */
    public static InetSocketAddress of(Channel ch) {
        if (!(ch instanceof UnixChannel) || !ch.isOpen()) {
            return null;
        }
        SocketAddress local = ch.localAddress();
        boolean v6 = local instanceof InetSocketAddress l && l.getAddress() instanceof Inet6Address;
        if (v6) {
            InetSocketAddress dst = read(ch, IP6T_SO_ORIGINAL_DST);
            if (dst != null) {
                return dst;
            }
        }
        // IPv4 sockets, and IPv4 flows on a dual-stack socket.
        return read(ch, SO_ORIGINAL_DST);
    }

    private static InetSocketAddress read(Channel ch, RawUnixChannelOption option) {
        try {
            ByteBuffer reply = ch.config().getOption(option);
            return reply == null ? null : parse(reply);
        } catch (ChannelException e) {
            // ENOENT: conntrack has no entry for this flow (not NATed); ENOPROTOOPT etc.: not supported here.
            return null;
        }
    }

    /**
     * Parses a {@code struct sockaddr_in} / {@code sockaddr_in6} as the kernel writes it: family in host byte
     * order at offset 0, port in network byte order at offset 2, IPv4 address at 4, or IPv6 flow info at 4,
     * address at 8..23 and scope id (host order) at 24. Returns null for an unknown family, a short reply or
     * port 0. Reads relative to the buffer's position and does not move it.
     */
    static InetSocketAddress parse(ByteBuffer reply) {
        ByteBuffer b = reply.duplicate();
        int base = b.position();
        int len = b.remaining();
        if (len < 8) {
            return null;
        }
        int family = b.order(ByteOrder.nativeOrder()).getShort(base) & 0xffff;
        int port = ((b.get(base + 2) & 0xff) << 8) | (b.get(base + 3) & 0xff);
        if (port == 0) {
            return null;
        }
        try {
            if (family == AF_INET) {
                byte[] a = new byte[4];
                b.position(base + 4);
                b.get(a);
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            }
            if (family == AF_INET6 && len >= 24) {
                byte[] a = new byte[16];
                b.position(base + 8);
                b.get(a);
                int scope = len >= 28 ? b.order(ByteOrder.nativeOrder()).getInt(base + 24) : 0;
                InetAddress addr = InetAddress.getByAddress(a); // an IPv4-mapped address comes back as Inet4Address
                if (scope != 0 && addr instanceof Inet6Address) {
                    addr = Inet6Address.getByAddress(null, a, scope);
                }
                return new InetSocketAddress(addr, port);
            }
        } catch (UnknownHostException e) {
            return null; // only thrown for an illegal address length, which cannot happen here
        }
        return null;
    }

    /**
     * True when connecting to {@code origDst} would reach this proxy again: it is the listener's own address
     * (a direct connection to the capture port), or a local address (loopback, wildcard or one of this host's
     * interface addresses) on the accepting listener's port or on any of this proxy's {@code own} ports.
     * A null {@code origDst} is not a loop.
     */
    public static boolean isLoop(InetSocketAddress origDst, Channel ch, OwnPorts own) {
        if (origDst == null || origDst.isUnresolved()) {
            return false;
        }
        int port = origDst.getPort();
        InetAddress addr = origDst.getAddress();
        boolean listenerPort = false;
        for (Channel c = ch; c != null; c = c.parent()) {
            SocketAddress local = c.localAddress();
            if (local instanceof InetSocketAddress l && l.getPort() == port) {
                if (addr.equals(l.getAddress())) {
                    return true;
                }
                listenerPort = true;
            }
        }
        if (!listenerPort && !own.contains(port)) {
            return false;
        }
        return isLocalAddress(addr);
    }

    static boolean isLocalAddress(InetAddress addr) {
        if (addr.isLoopbackAddress() || addr.isAnyLocalAddress()) {
            return true;
        }
        return localAddresses().contains(addr);
    }

    /** This host's interface addresses, cached briefly: only consulted when a destination port is one of ours. */
    private static Set<InetAddress> localAddresses() {
        LocalAddresses cached = localAddresses;
        long now = System.nanoTime();
        if (cached == null || now - cached.readAtNanos > LOCAL_ADDRESSES_TTL_NANOS) {
            Set<InetAddress> set;
            try {
                set = NetworkInterface.networkInterfaces()
                        .flatMap(NetworkInterface::inetAddresses)
                        .collect(Collectors.toUnmodifiableSet());
            } catch (SocketException e) {
                set = cached != null ? cached.addresses : Collections.emptySet();
            }
            cached = new LocalAddresses(set, now);
            localAddresses = cached;
        }
        return cached.addresses;
    }

    private record LocalAddresses(Set<InetAddress> addresses, long readAtNanos) {
    }
}
