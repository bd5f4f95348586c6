package io.remora.proxy.cluster;

import java.util.List;
import io.remora.proxy.policy.Randomness;

import java.util.random.RandomGenerator;

/**
 * Least request by the power of two random choices: sample two distinct endpoints (weight-proportional when the
 * weights differ) and take the one with fewer requests in flight per unit of weight. Two samples avoid both the herd
 * effect of a global minimum and the cost of scanning every endpoint.
 */
final class LeastRequestBalancer implements Balancer {
    private final Randomness randomness;
    /** Rejection-sampling attempts for a replacement candidate when one sample is the endpoint to avoid. */
    private static final int REPLACEMENT_ATTEMPTS = 8;

    private final Endpoint[] endpoints;
    /** {@code cumulative[i]} = sum of the weights of endpoints 0..i; null when all weights are equal. */
    private final long[] cumulative;
    private final long totalWeight;

    LeastRequestBalancer(List<Endpoint> endpoints) {
        this(endpoints, Randomness.SYSTEM);
    }

    /** @param randomness where the two choices are drawn from (tests: a seeded sequence) */
    LeastRequestBalancer(List<Endpoint> endpoints, Randomness randomness) {
        this.randomness = randomness;
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        long[] sums = new long[this.endpoints.length];
        long sum = 0;
        boolean uniform = true;
        for (int i = 0; i < this.endpoints.length; i++) {
            int w = this.endpoints[i].weight();
            uniform &= w == this.endpoints[0].weight();
            sum += w;
            sums[i] = sum;
        }
        this.cumulative = uniform ? null : sums;
        this.totalWeight = sum;
    }

    @Override
    public Endpoint pick() {
        return pick(null);
    }

    @Override
    public Endpoint pick(Endpoint avoid) {
        int n = endpoints.length;
        if (n == 1) {
            return endpoints[0];
        }
        RandomGenerator random = randomness.current();
        int a = sampleIndex(random);
        int b = sampleOtherIndex(random, a);
        Endpoint first = endpoints[a];
        Endpoint second = endpoints[b];
        if (avoid != null && (first == avoid || second == avoid)) {
            Endpoint kept = first == avoid ? second : first;
            int keptIndex = first == avoid ? b : a;
            int avoidIndex = first == avoid ? a : b;
            Endpoint replacement = n > 2 ? sampleExcluding(random, keptIndex, avoidIndex) : null;
            return replacement == null ? kept : lessLoaded(kept, replacement);
        }
        return lessLoaded(first, second);
    }

    private static Endpoint lessLoaded(Endpoint a, Endpoint b) {
        // a.active / a.weight <= b.active / b.weight, without division
        long loadA = (long) a.activeRequests() * b.weight();
        long loadB = (long) b.activeRequests() * a.weight();
        return loadB < loadA ? b : a;
    }

    private int sampleIndex(RandomGenerator random) {
        if (cumulative == null) {
            return random.nextInt(endpoints.length);
        }
        return indexAt(random.nextLong(totalWeight));
    }

    /** A weight-proportional sample among all endpoints but {@code excluded}. */
    private int sampleOtherIndex(RandomGenerator random, int excluded) {
        if (cumulative == null) {
            int i = random.nextInt(endpoints.length - 1);
            return i >= excluded ? i + 1 : i;
        }
        long excludedWeight = endpoints[excluded].weight();
        long excludedStart = cumulative[excluded] - excludedWeight;
        long x = random.nextLong(totalWeight - excludedWeight);
        // Skip over the excluded endpoint's interval of the weight line.
        return indexAt(x >= excludedStart ? x + excludedWeight : x);
    }

    private Endpoint sampleExcluding(RandomGenerator random, int excludedA, int excludedB) {
        for (int attempt = 0; attempt < REPLACEMENT_ATTEMPTS; attempt++) {
            int i = sampleIndex(random);
            if (i != excludedA && i != excludedB) {
                return endpoints[i];
            }
        }
        return null;
    }

    /** The endpoint whose interval of the cumulative weight line contains {@code x}. */
    private int indexAt(long x) {
        int low = 0;
        int high = cumulative.length - 1;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (cumulative[mid] > x) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }
}
