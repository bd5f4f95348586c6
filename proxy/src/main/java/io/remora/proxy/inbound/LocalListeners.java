package io.remora.proxy.inbound;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Which addresses the pod's apps listen on, read from the kernel's socket tables ({@code /proc/net/tcp} and
 * {@code tcp6}, which the sidecar shares with the app in one network namespace). An app bound to {@code 0.0.0.0},
 * {@code ::} or loopback is reached on {@code 127.0.0.1}; one bound to the pod IP only must be reached there. Looking
 * is cheaper and surer than trying one address and then the other: no refused connect, no guess. The tables are in
 * memory (procfs), so a read costs microseconds; it is done at most once per {@code refreshNanos} and when a port is
 * not known yet.
 */
public final class LocalListeners {
    /** How an app's port is reached. */
    public enum Reach {
        /** Bound to a wildcard or loopback address: 127.0.0.1 works. */
        LOOPBACK,
        /** Bound to a specific non-loopback address (the pod IP) only. */
        POD_ADDRESS,
        /** Nothing listens on the port (yet). */
        NONE
    }

    private final List<Path> tables;
    private final LongSupplier nanoTime;
    private final long refreshNanos;
    private volatile Map<Integer, Reach> byPort = Map.of();
    private volatile long readAt;
    private volatile boolean everRead;

    public LocalListeners(List<Path> tables, LongSupplier nanoTime, long refreshNanos) {
        this.tables = List.copyOf(tables);
        this.nanoTime = nanoTime;
        this.refreshNanos = refreshNanos;
    }

    /** This host's tables, re-read at most once a second. */
    public static LocalListeners system() {
        return new LocalListeners(List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6")), System::nanoTime,
                1_000_000_000L);
    }

    /** How {@code port} is reached now. */
    public Reach reach(int port) {
        Reach r = byPort.get(port);
        long now = nanoTime.getAsLong();
        if (!everRead || now - readAt > refreshNanos || (r == null && now - readAt > refreshNanos / 10)) {
            refresh(now);
            r = byPort.get(port);
        }
        return r == null ? Reach.NONE : r;
    }

    private void refresh(long now) {
        Map<Integer, Reach> next = new HashMap<>();
        for (Path table : tables) {
            try {
                for (String line : Files.readAllLines(table)) {
                    parse(line, next);
                }
            } catch (IOException | RuntimeException e) {
                // No such table (no IPv6, not Linux): what the others say stands.
            }
        }
        byPort = next;
        readAt = now;
        everRead = true;
    }

    /**
     * One line of {@code /proc/net/tcp[6]}: {@code sl local_address rem_address st ...}, addresses as hex
     * {@code ADDR:PORT} in the kernel's byte order, state {@code 0A} = LISTEN.
     */
    static void parse(String line, Map<Integer, Reach> into) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 4 || !f[3].equals("0A")) {
            return;
        }
        int colon = f[1].indexOf(':');
        if (colon < 0) {
            return;
        }
        int port = Integer.parseInt(f[1].substring(colon + 1), 16);
        InetAddress address = address(f[1].substring(0, colon));
        if (address == null) {
            return;
        }
        Reach reach = address.isAnyLocalAddress() || address.isLoopbackAddress() ? Reach.LOOPBACK : Reach.POD_ADDRESS;
        into.merge(port, reach, (a, b) -> a == Reach.LOOPBACK || b == Reach.LOOPBACK ? Reach.LOOPBACK : a);
    }

    /** The kernel writes each 32-bit word of the address in host (little-endian on x86 and arm64) order. */
    private static InetAddress address(String hex) {
        if (hex.length() != 8 && hex.length() != 32) {
            return null;
        }
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = word * 8 + (3 - b) * 2;
                bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) comes back as the IPv4 address inside.
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
