package io.remora.config;

/** Endpoint selection policy of a service. */
public enum LoadBalancer {
    /** Power of two random choices, pick the one with fewer active requests (default). */
    LEAST_REQUEST,
    /** Endpoints in turn, weighted. */
    ROUND_ROBIN
}
