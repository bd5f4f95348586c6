package io.remora.proxy.route;

import io.remora.config.Authority;

import java.util.Map;

/**
 * An immutable open-addressing table from host names to services, looked up with the authority exactly as it
 * arrives (any {@link CharSequence}, any case, with or without a port) so the common hit allocates nothing. The
 * host is read out of the authority and case folded as {@link Authority} reads it, the way the names were indexed.
 */
final class AuthorityIndex {
    private final String[] keys;
    private final ServiceRoutes[] values;
    private final int mask;

    /** @param byHost the mesh index's names ({@link Authority#host()}) */
    AuthorityIndex(Map<String, ServiceRoutes> byHost) {
        int capacity = Integer.highestOneBit(Math.max(2, byHost.size() * 2 + 1) - 1) << 1;
        this.keys = new String[capacity];
        this.values = new ServiceRoutes[capacity];
        this.mask = capacity - 1;
        for (Map.Entry<String, ServiceRoutes> e : byHost.entrySet()) {
            String key = e.getKey();
            int slot = hash(key, 0, key.length()) & mask;
            while (keys[slot] != null) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            values[slot] = e.getValue();
        }
    }

    ServiceRoutes get(CharSequence authority) {
        if (authority == null) {
            return null;
        }
        long range = Authority.hostRange(authority);
        if (range < 0) {
            return null;
        }
        int start = (int) (range >>> 32);
        int end = (int) range;
        int slot = hash(authority, start, end) & mask;
        String key;
        while ((key = keys[slot]) != null) {
            if (regionEquals(key, authority, start, end)) {
                return values[slot];
            }
            slot = (slot + 1) & mask;
        }
        return null;
    }

    private static int hash(CharSequence s, int start, int end) {
        int h = 0;
        for (int i = start; i < end; i++) {
            h = 31 * h + Authority.fold(s.charAt(i));
        }
        return h ^ (h >>> 16);
    }

    /** {@code folded} equals the case-folded {@code s[start, end)}. */
    private static boolean regionEquals(String folded, CharSequence s, int start, int end) {
        if (folded.length() != end - start) {
            return false;
        }
        for (int i = start; i < end; i++) {
            if (folded.charAt(i - start) != Authority.fold(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
