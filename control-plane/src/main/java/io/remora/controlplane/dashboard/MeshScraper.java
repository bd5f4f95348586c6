package io.remora.controlplane.dashboard;

import io.remora.controlplane.ControlPlaneMetrics;
import io.remora.controlplane.mesh.MeshState;
import io.remora.controlplane.push.PushService;
import io.remora.log.Log;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The dashboard's data, refreshed once per round on a thread of its own (never the push thread, the gRPC threads
 * or the admin port's): each round reads the sidecars (a short task on the push thread), scrapes the
 * {@code /stats/prometheus} of at most {@link Settings#maxSidecars} connected ones at once with the JDK's HttpClient
 * (short timeouts; a bigger mesh is taken in turns over several rounds, counted as deferred), folds the request
 * samples into the request graph ({@link ScrapeHistory}) and renders the JSON ({@link DashboardView}) once, which
 * every dashboard client then gets as it is. A failed scrape is counted ({@code remora_cp_scrapes_total{result}}) and
 * shown on its sidecar; the sidecar's last edges age out with its history.
 */
public final class MeshScraper implements AutoCloseable {
    /**
     * @param interval    time between rounds
     * @param window      the span rates are computed over (from a sidecar's oldest kept scrape to its newest)
     * @param maxSidecars sidecars scraped per round at the most
     * @param timeout     connect and answer timeout of one scrape
     * @param maxClients  dashboard requests served at once ({@link ClientGate})
     */
    public record Settings(Duration interval, Duration window, int maxSidecars, Duration timeout, int maxClients) {
        public static final Settings DEFAULTS = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(10), 256,
                Duration.ofSeconds(1), 2);
    }

    private final Settings settings;
    private final Supplier<List<PushService.ProxyStatus>> sidecars;
    private final Supplier<MeshState> mesh;
    private final ControlPlaneMetrics metrics;
    private final Clock clock;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> daemon(r,
            "remora-cp-scrape"));
    private final ExecutorService httpThreads = Executors.newFixedThreadPool(2, r -> daemon(r, "remora-cp-scrape-io"));
    private final HttpClient http;
    private final ScrapeHistory history;
    /** Scraper thread only: address → "ok" or why the last scrape failed. */
    private final Map<String, String> results = new HashMap<>();
    /** Scraper thread only: where the next round starts when there are more sidecars than it takes. */
    private int offset;
    private volatile byte[] data;

    public MeshScraper(Settings settings, Supplier<List<PushService.ProxyStatus>> sidecars, Supplier<MeshState> mesh,
                       ControlPlaneMetrics metrics, Clock clock) {
        this.settings = settings;
        this.sidecars = sidecars;
        this.mesh = mesh;
        this.metrics = metrics;
        this.clock = clock;
        this.history = new ScrapeHistory(settings.window());
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).executor(httpThreads)
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public MeshScraper start() {
        thread.scheduleWithFixedDelay(this::round, 0, settings.interval().toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The JSON of the last round; before the first, the mesh and sidecars without edges. */
    public byte[] data() {
        byte[] d = data;
        return d != null ? d : render(sidecars.get(), Map.of(), Map.of());
    }

    public Settings settings() {
        return settings;
    }

    private void round() {
        try {
            List<PushService.ProxyStatus> all = sidecars.get();
            List<PushService.ProxyStatus> chosen = choose(all);
            Map<String, CompletableFuture<HttpResponse<String>>> scrapes = new HashMap<>();
            for (PushService.ProxyStatus p : chosen) {
                scrapes.computeIfAbsent(p.metrics(), a -> http.sendAsync(HttpRequest.newBuilder(
                        URI.create("http://" + a + "/stats/prometheus")).timeout(settings.timeout()).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            long deadline = System.nanoTime() + settings.timeout().toNanos() + TimeUnit.MILLISECONDS.toNanos(500);
            for (Map.Entry<String, CompletableFuture<HttpResponse<String>>> e : scrapes.entrySet()) {
                String result = collect(e.getKey(), e.getValue(), deadline);
                results.put(e.getKey(), result);
                metrics.scraped(result.equals("ok") ? "ok" : "failed");
            }
            Set<String> live = new HashSet<>();
            for (PushService.ProxyStatus p : all) {
                if (p.connected() && p.metrics() != null) {
                    live.add(p.metrics());
                }
            }
            history.retain(live);
            results.keySet().retainAll(live);
            data = render(all, history.edges(), Map.copyOf(results));
        } catch (RuntimeException e) {
            Log.warn("dashboard_round_failed", "error", e.toString());
        }
    }

    /** The connected sidecars with a metrics address, at most {@code maxSidecars}, taken in turns. */
    private List<PushService.ProxyStatus> choose(List<PushService.ProxyStatus> all) {
        List<PushService.ProxyStatus> targets = new ArrayList<>();
        for (PushService.ProxyStatus p : all) {
            if (p.connected() && p.metrics() != null) {
                targets.add(p);
            }
        }
        int max = settings.maxSidecars();
        if (targets.size() <= max) {
            return targets;
        }
        metrics.scrapeDeferred(targets.size() - max);
        List<PushService.ProxyStatus> out = new ArrayList<>(max);
        for (int i = 0; i < max; i++) {
            out.add(targets.get((offset + i) % targets.size()));
        }
        offset = (offset + max) % targets.size();
        return out;
    }

    private String collect(String address, CompletableFuture<HttpResponse<String>> f, long deadline) {
        try {
            HttpResponse<String> res = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (res.statusCode() != 200) {
                return "failed: answered " + res.statusCode();
            }
            history.add(address, System.nanoTime(), res.body());
            return "ok";
        } catch (java.util.concurrent.TimeoutException e) {
            f.cancel(true);
            return "failed: no answer within " + settings.timeout().toMillis() + " ms";
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return "failed: " + cause.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "failed: interrupted";
        }
    }

    private byte[] render(List<PushService.ProxyStatus> all, Map<EdgeKey, io.remora.controlplane.stats.GoldenStats.Window> edges,
                          Map<String, String> scrapes) {
        return DashboardView.render(new DashboardView.Inputs(clock.instant(), mesh.get(), all, edges, scrapes,
                settings.window().toMillis() / 1000.0, settings.interval().toMillis() / 1000.0));
    }

    @Override
    public void close() {
        thread.shutdownNow();
        httpThreads.shutdownNow();
    }
}
