package io.remora.proxy.route;

import java.util.Map;

/**
 * An immutable open-addressing table from host names to services, looked up with the authority exactly as it
 * arrives (any {@link CharSequence}, any case, with or without a port) so the common hit allocates nothing.
 */
final class AuthorityIndex {
    private final String[] keys;
    private final ServiceRoutes[] values;
    private final int mask;

    /** @param byHost normalised, lower-cased host names (see {@link Authorities#normalize}) */
    AuthorityIndex(Map<String, ServiceRoutes> byHost) {
        int capacity = Integer.highestOneBit(Math.max(2, byHost.size() * 2 + 1) - 1) << 1;
        this.keys = new String[capacity];
        this.values = new ServiceRoutes[capacity];
        this.mask = capacity - 1;
        for (Map.Entry<String, ServiceRoutes> e : byHost.entrySet()) {
            String key = e.getKey();
            int slot = Authorities.hash(key, 0, key.length()) & mask;
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
        long range = Authorities.hostRange(authority);
        if (range < 0) {
            return null;
        }
        int start = (int) (range >>> 32);
        int end = (int) range;
        int slot = Authorities.hash(authority, start, end) & mask;
        String key;
        while ((key = keys[slot]) != null) {
            if (Authorities.regionEquals(key, authority, start, end)) {
                return values[slot];
            }
            slot = (slot + 1) & mask;
        }
        return null;
    }
}
