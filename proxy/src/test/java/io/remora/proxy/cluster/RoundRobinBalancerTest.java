package io.remora.proxy.cluster;

import io.remora.config.LoadBalancer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static io.remora.proxy.cluster.TestServices.cluster;
import static io.remora.proxy.cluster.TestServices.endpoint;
import static org.assertj.core.api.Assertions.assertThat;

class RoundRobinBalancerTest {

    @Test
    void equalWeightsVisitEachEndpointInTurn() {
        Cluster c = cluster(LoadBalancer.ROUND_ROBIN,
                endpoint("10.0.0.1:80"), endpoint("10.0.0.2:80"), endpoint("10.0.0.3:80"));
        List<Endpoint> endpoints = c.endpoints();
        Endpoint first = c.pick();
        int start = endpoints.indexOf(first);
        for (int i = 1; i < 30; i++) {
            assertThat(c.pick()).isSameAs(endpoints.get((start + i) % 3));
        }
    }

    @Test
    void picksFollowTheWeightsOverEveryFullCycle() {
        Cluster c = cluster(LoadBalancer.ROUND_ROBIN,
                endpoint("10.0.0.1:80", 3, Map.of()), endpoint("10.0.0.2:80", 1, Map.of()));
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            counts.merge(c.pick(), 1, Integer::sum);
        }
        assertThat(counts.get(c.endpoints().get(0))).isEqualTo(3000);
        assertThat(counts.get(c.endpoints().get(1))).isEqualTo(1000);
    }

    @Test
    void orderIsInterleavedNotInRuns() {
        Endpoint a = Endpoint.of(endpoint("10.0.0.1:80", 5, Map.of()));
        Endpoint b = Endpoint.of(endpoint("10.0.0.2:80", 1, Map.of()));
        Endpoint c = Endpoint.of(endpoint("10.0.0.3:80", 1, Map.of()));
        Endpoint[] all = {a, b, c};
        assertThat(RoundRobinBalancer.smoothSequence(all, RoundRobinBalancer.reducedWeights(all)))
                .containsExactly(a, a, b, a, c, a, a);
    }

    @Test
    void weightsAreReducedByTheirCommonDivisorAndScaledWhenHuge() {
        Endpoint a = Endpoint.of(endpoint("10.0.0.1:80", 20, Map.of()));
        Endpoint b = Endpoint.of(endpoint("10.0.0.2:80", 40, Map.of()));
        assertThat(RoundRobinBalancer.reducedWeights(new Endpoint[] {a, b})).containsExactly(1, 2);

        Endpoint big = Endpoint.of(endpoint("10.0.0.3:80", 3_000_000, Map.of()));
        Endpoint small = Endpoint.of(endpoint("10.0.0.4:80", 1_000_001, Map.of()));
        int[] scaled = RoundRobinBalancer.reducedWeights(new Endpoint[] {big, small});
        assertThat(scaled[0] + scaled[1]).isLessThanOrEqualTo(RoundRobinBalancer.MAX_SEQUENCE + 1);
        assertThat(scaled[0] / (double) scaled[1]).isBetween(2.99, 3.01);
    }

    @Test
    void sharedAcrossThreadsEveryPositionIsTakenOnce() throws Exception {
        Cluster c = cluster(LoadBalancer.ROUND_ROBIN,
                endpoint("10.0.0.1:80", 2, Map.of()), endpoint("10.0.0.2:80", 1, Map.of()));
        int threads = 4;
        int perThread = 30_000;
        Map<Endpoint, AtomicInteger> counts = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    counts.computeIfAbsent(c.pick(), k -> new AtomicInteger()).incrementAndGet();
                }
            });
            worker.start();
            workers.add(worker);
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        // 120,000 consecutive positions of a 3-long sequence: exactly 2/3 and 1/3.
        assertThat(counts.get(c.endpoints().get(0)).get()).isEqualTo(80_000);
        assertThat(counts.get(c.endpoints().get(1)).get()).isEqualTo(40_000);
    }

    @Test
    void retryAvoidsThePreviousEndpoint() {
        Cluster c = cluster(LoadBalancer.ROUND_ROBIN,
                endpoint("10.0.0.1:80", 9, Map.of()), endpoint("10.0.0.2:80", 1, Map.of()));
        Endpoint avoid = c.endpoints().get(0);
        for (int i = 0; i < 100; i++) {
            assertThat(c.pick(avoid)).isSameAs(c.endpoints().get(1));
        }
        Cluster single = cluster(LoadBalancer.ROUND_ROBIN, endpoint("10.0.0.1:80"));
        assertThat(single.pick(single.endpoints().get(0))).isSameAs(single.endpoints().get(0));
    }
}
