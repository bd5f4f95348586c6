package io.remora.proxy.net;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ports one proxy's own listeners are bound to (admin, metrics, health...), for loop detection
 * ({@link OriginalDst#isLoop}). One per proxy, not per JVM: several proxies in one process (the end-to-end tests
 * run them so) must not take each other's ports for their own.
 */
public final class OwnPorts {
    private final Set<Integer> ports = ConcurrentHashMap.newKeySet();

    public void add(int port) {
        if (port > 0) {
            ports.add(port);
        }
    }

    /** Forgets a port (its listener was closed). */
    public void remove(int port) {
        ports.remove(port);
    }

    public boolean contains(int port) {
        return ports.contains(port);
    }

    /** An unmodifiable snapshot. */
    public Set<Integer> snapshot() {
        return Set.copyOf(ports);
    }
}
