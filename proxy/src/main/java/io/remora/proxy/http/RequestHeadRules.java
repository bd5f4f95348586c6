package io.remora.proxy.http;

import io.remora.config.Sidecar;

/**
 * The checks every request head goes through before it is routed, compiled once from the Sidecar's limits: how
 * many header fields it may carry, and how its path is made canonical.
 */
public final class RequestHeadRules {
    final int maxHeaders;
    final PathNormalizer paths;

    public RequestHeadRules(Sidecar.Limits limits) {
        this.maxHeaders = limits.maxHeaders();
        this.paths = new PathNormalizer(limits.pathNormalization());
    }
}
