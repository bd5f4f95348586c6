package io.remora.proxy.it.edge;

import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.it.edge.Edge.KeepAlive;
import io.remora.proxy.it.edge.Edge.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.remora.config.testing.TestMesh.loopback;
import static io.remora.config.testing.TestMesh.service;
import static io.remora.config.testing.TestMesh.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load balancer end to end: two endpoints of one service, one answering every request 500 ms late, the other at
 * once, under a steady 20 requests in flight. Least request (power of two choices, the default) sends most requests
 * to the fast endpoint because the slow one keeps more requests in flight; round robin, under the very same load,
 * splits them evenly. The contrast shows the skew comes from the balancer, not from the load.
 *
 * <p>The load is kept below what saturates the machine (the suite runs with paranoid leak detection): when the
 * proxy itself is the bottleneck, the "fast" endpoint is no longer fast and the contrast blurs. A short warm-up
 * runs first and is not counted.
 */
@Timeout(60)
class LoadBalancingTest {
    private static final long SLOW_MILLIS = 500;
    private static final int IN_FLIGHT = 20;
    private static final Duration WARM_UP = Duration.ofMillis(600);
    private static final Duration LOAD_TIME = Duration.ofMillis(2000);

    record Split(long slow, long fast) {
        long total() {
            return slow + fast;
        }

        double fastShare() {
            return (double) fast / total();
        }
    }

    @Test
    void leastRequestPrefersTheLessLoadedEndpoint() throws Exception {
        Split split = runLoad("least-request");
        assertThat(split.total()).isGreaterThan(60);
        assertThat(split.fastShare()).as("share of the fast endpoint: %s", split).isGreaterThanOrEqualTo(0.75);
    }

    @Test
    void roundRobinSplitsEvenlyWhateverTheLatency() throws Exception {
        Split split = runLoad("round-robin");
        assertThat(split.total()).isGreaterThan(60);
        assertThat(split.fastShare()).as("share of the fast endpoint: %s", split).isBetween(0.40, 0.60);
    }

    private Split runLoad(String balancer) throws Exception {
        try (DelayedHttpServer slow = new DelayedHttpServer("slow", SLOW_MILLIS);
             DelayedHttpServer fast = new DelayedHttpServer("fast", 0)) {
            ProxyServer proxy = Edge.start(TestMesh.of(sidecar("edge", "test").threads(2).upstream("lb.test"),
                    service("lb", "test").protocol("http").trafficPolicy("{loadBalancer: " + balancer + "}")
                            .endpoints(loopback(slow.port()), loopback(fast.port()))));
            try {
                drive(proxy.upstreamAddress("lb.test"), WARM_UP);
                long slowBefore = slow.requestCount();
                long fastBefore = fast.requestCount();
                long served = drive(proxy.upstreamAddress("lb.test"), LOAD_TIME);
                Split split = new Split(slow.requestCount() - slowBefore, fast.requestCount() - fastBefore);
                assertThat(split.total()).isEqualTo(served);
                System.out.println("load split with " + balancer + ": " + split);
                return split;
            } finally {
                proxy.close();
            }
        }
    }

    /** {@link #IN_FLIGHT} clients, each sending requests back to back on its own connection; returns the total. */
    private static long drive(InetSocketAddress to, Duration time) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(IN_FLIGHT);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Long>> clients = new ArrayList<>();
            for (int i = 0; i < IN_FLIGHT; i++) {
                clients.add(pool.submit(() -> {
                    long n = 0;
                    try (KeepAlive c = new KeepAlive(to)) {
                        go.await();
                        long end = System.nanoTime() + time.toNanos();
                        while (System.nanoTime() < end) {
                            Reply r = c.get("/work");
                            assertThat(r.status()).isEqualTo(200);
                            n++;
                        }
                    }
                    return n;
                }));
            }
            go.countDown();
            long total = 0;
            for (Future<Long> f : clients) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            return total;
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
