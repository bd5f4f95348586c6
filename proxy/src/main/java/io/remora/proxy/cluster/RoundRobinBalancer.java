package io.remora.proxy.cluster;

import java.util.List;
import io.remora.proxy.policy.Randomness;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Weighted round robin. The visiting order is computed once with the smooth weighted round-robin algorithm (weights
 * 5:1:1 give {@code a a b a c a a}, interleaved rather than in runs); each pick then advances one shared atomic
 * counter over that sequence, which is correct across event loops without locks.
 */
final class RoundRobinBalancer implements Balancer {
    /** Longest precomputed sequence; larger weight sums are scaled down proportionally. */
    static final int MAX_SEQUENCE = 1 << 14;

    private final Endpoint[] sequence;
    private final int distinctEndpoints;
    private final AtomicLong next;

    RoundRobinBalancer(List<Endpoint> endpoints) {
        this(endpoints, Randomness.SYSTEM);
    }

    /** @param randomness where the starting position is drawn from */
    RoundRobinBalancer(List<Endpoint> endpoints, Randomness randomness) {
        Endpoint[] all = endpoints.toArray(new Endpoint[0]);
        this.sequence = smoothSequence(all, reducedWeights(all));
        this.distinctEndpoints = all.length;
        // A random start keeps many proxies that load the same config from all hitting the first endpoint first.
        this.next = new AtomicLong(randomness.current().nextInt(sequence.length));
    }

    @Override
    public Endpoint pick() {
        return sequence[index(next.getAndIncrement())];
    }

    @Override
    public Endpoint pick(Endpoint avoid) {
        long position = next.getAndIncrement();
        Endpoint chosen = sequence[index(position)];
        if (chosen != avoid || distinctEndpoints == 1) {
            return chosen;
        }
        for (int step = 1; step < sequence.length; step++) {
            Endpoint candidate = sequence[index(position + step)];
            if (candidate != avoid) {
                return candidate;
            }
        }
        return chosen;
    }

    private int index(long position) {
        return (int) ((position & Long.MAX_VALUE) % sequence.length);
    }

    /** Weights divided by their greatest common divisor, and scaled down if their sum exceeds {@link #MAX_SEQUENCE}. */
    static int[] reducedWeights(Endpoint[] endpoints) {
        int[] weights = new int[endpoints.length];
        int divisor = 0;
        long sum = 0;
        for (int i = 0; i < endpoints.length; i++) {
            weights[i] = endpoints[i].weight();
            divisor = gcd(divisor, weights[i]);
            sum += weights[i];
        }
        for (int i = 0; i < weights.length; i++) {
            weights[i] /= divisor;
        }
        sum /= divisor;
        if (sum > MAX_SEQUENCE) {
            double scale = (double) MAX_SEQUENCE / sum;
            for (int i = 0; i < weights.length; i++) {
                weights[i] = Math.max(1, (int) Math.round(weights[i] * scale));
            }
        }
        return weights;
    }

    /** Smooth weighted round robin (as in nginx): each endpoint appears exactly {@code weights[i]} times. */
    static Endpoint[] smoothSequence(Endpoint[] endpoints, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        Endpoint[] order = new Endpoint[total];
        long[] current = new long[endpoints.length];
        for (int slot = 0; slot < total; slot++) {
            int best = 0;
            for (int i = 0; i < endpoints.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            order[slot] = endpoints[best];
        }
        return order;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
