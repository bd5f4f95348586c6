package io.remora.proxy.cluster;

import io.remora.config.LoadBalancer;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static io.remora.proxy.cluster.TestServices.cluster;
import static io.remora.proxy.cluster.TestServices.endpoint;
import static io.remora.proxy.cluster.TestServices.load;
import static org.assertj.core.api.Assertions.assertThat;

class LeastRequestBalancerTest {
    private static final int PICKS = 20_000;

    @Test
    void oneEndpointIsAlwaysPicked() {
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST, endpoint("10.0.0.1:80"));
        Endpoint only = c.endpoints().get(0);
        load(only, 50);
        assertThat(c.pick()).isSameAs(only);
        assertThat(c.pick(only)).isSameAs(only);
    }

    @Test
    void emptyClusterPicksNothing() {
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST);
        assertThat(c.pick()).isNull();
        assertThat(c.pick(null)).isNull();
    }

    @Test
    void ofTwoEndpointsTheLessLoadedIsPicked() {
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST, endpoint("10.0.0.1:80"), endpoint("10.0.0.2:80"));
        Endpoint busy = c.endpoints().get(0);
        Endpoint idle = c.endpoints().get(1);
        load(busy, 100);
        Map<Endpoint, Integer> counts = count(c, PICKS);
        assertThat(counts.getOrDefault(idle, 0)).isGreaterThanOrEqualTo(PICKS * 9 / 10);
    }

    @Test
    void aLoadedEndpointAmongThreeIsPickedRarely() {
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST,
                endpoint("10.0.0.1:80"), endpoint("10.0.0.2:80"), endpoint("10.0.0.3:80"));
        Endpoint busy = c.endpoints().get(1);
        load(busy, 100);
        Map<Endpoint, Integer> counts = count(c, PICKS);
        assertThat(counts.getOrDefault(busy, 0)).isLessThan(PICKS / 20);
        // the two idle endpoints share the load
        assertThat(counts.get(c.endpoints().get(0))).isBetween(PICKS * 4 / 10, PICKS * 6 / 10);
        assertThat(counts.get(c.endpoints().get(2))).isBetween(PICKS * 4 / 10, PICKS * 6 / 10);
    }

    @Test
    void loadIsComparedPerUnitOfWeight() {
        // light: 2 active / weight 1 = 2 per unit; heavy: 4 active / weight 4 = 1 per unit
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST,
                endpoint("10.0.0.1:80", 1, Map.of()), endpoint("10.0.0.2:80", 4, Map.of()));
        Endpoint light = c.endpoints().get(0);
        Endpoint heavy = c.endpoints().get(1);
        load(light, 2);
        load(heavy, 4);
        assertThat(count(c, 1000).getOrDefault(heavy, 0)).isEqualTo(1000);
    }

    @Test
    void samplesAreWeightProportional() {
        // Without load every comparison is a tie and the first sample wins, so picks follow the weights 1:1:2.
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST, endpoint("10.0.0.1:80", 1, Map.of()),
                endpoint("10.0.0.2:80", 1, Map.of()), endpoint("10.0.0.3:80", 2, Map.of()));
        Map<Endpoint, Integer> counts = count(c, PICKS);
        assertThat(share(counts, c.endpoints().get(0))).isBetween(0.22, 0.28);
        assertThat(share(counts, c.endpoints().get(1))).isBetween(0.22, 0.28);
        assertThat(share(counts, c.endpoints().get(2))).isBetween(0.47, 0.53);
    }

    @Test
    void requestCountsFollowStartAndFinish() {
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST, endpoint("10.0.0.1:80"));
        Endpoint e = c.pick();
        e.requestStarted();
        e.requestStarted();
        e.requestFinished();
        assertThat(e.activeRequests()).isEqualTo(1);
    }

    @Test
    void retryAvoidsThePreviousEndpoint() {
        Cluster two = cluster(LoadBalancer.LEAST_REQUEST, endpoint("10.0.0.1:80"), endpoint("10.0.0.2:80"));
        Endpoint failed = two.endpoints().get(1);
        load(two.endpoints().get(0), 10); // even when the other one is busier
        for (int i = 0; i < 1000; i++) {
            assertThat(two.pick(failed)).isSameAs(two.endpoints().get(0));
        }

        Cluster three = cluster(LoadBalancer.LEAST_REQUEST, endpoint("10.0.0.1:80", 1, Map.of()),
                endpoint("10.0.0.2:80", 5, Map.of()), endpoint("10.0.0.3:80", 1, Map.of()));
        Endpoint avoid = three.endpoints().get(1);
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < PICKS; i++) {
            counts.merge(three.pick(avoid), 1, Integer::sum);
        }
        assertThat(counts).doesNotContainKey(avoid);
        assertThat(counts).containsKeys(three.endpoints().get(0), three.endpoints().get(2));
    }

    @Test
    void retryStillPrefersTheLessLoadedOfTheOthers() {
        Cluster c = cluster(LoadBalancer.LEAST_REQUEST,
                endpoint("10.0.0.1:80"), endpoint("10.0.0.2:80"), endpoint("10.0.0.3:80"));
        Endpoint avoid = c.endpoints().get(0);
        Endpoint busy = c.endpoints().get(1);
        Endpoint idle = c.endpoints().get(2);
        load(busy, 100);
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < PICKS; i++) {
            counts.merge(c.pick(avoid), 1, Integer::sum);
        }
        assertThat(counts).doesNotContainKey(avoid);
        assertThat(counts.getOrDefault(idle, 0)).isGreaterThanOrEqualTo(PICKS * 9 / 10);
    }

    private static Map<Endpoint, Integer> count(Cluster c, int picks) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            counts.merge(c.pick(), 1, Integer::sum);
        }
        return counts;
    }

    private static double share(Map<Endpoint, Integer> counts, Endpoint e) {
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        return counts.getOrDefault(e, 0) / (double) total;
    }
}
