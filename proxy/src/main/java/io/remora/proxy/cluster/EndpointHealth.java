package io.remora.proxy.cluster;

import io.remora.proxy.policy.OutlierDetector;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a service knows of one endpoint address beyond a snapshot: its requests in flight (the least-request
 * balancer's load) and its outlier-detection state. Kept by the service's {@link ServiceGuard} while the address
 * stays in the service, so a route tweak or an unrelated Service neither returns an ejected endpoint nor forgets
 * its load.
 */
final class EndpointHealth {
    final AtomicInteger activeRequests = new AtomicInteger();
    final OutlierDetector.EndpointState outlier;

    EndpointHealth(String name) {
        this.outlier = new OutlierDetector.EndpointState(name);
    }
}
