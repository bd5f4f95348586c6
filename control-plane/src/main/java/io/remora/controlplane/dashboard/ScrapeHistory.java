package io.remora.controlplane.dashboard;

import io.remora.controlplane.stats.GoldenStats;
import io.remora.controlplane.stats.PrometheusText;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The recent scrapes of each sidecar, and the request graph folded from them: per sidecar, what its counters grew
 * by from its oldest kept scrape to its newest (about one window apart), added up per edge. Only the request
 * samples are kept, so a sidecar costs a few kilobytes however many metrics it has. Scraper thread only.
 */
final class ScrapeHistory {
    private record Scrape(long nanos, List<PrometheusText.Sample> samples) {
    }

    private final long windowNanos;
    private final Map<String, ArrayDeque<Scrape>> bySidecar = new HashMap<>();

    ScrapeHistory(java.time.Duration window) {
        this.windowNanos = window.toNanos();
    }

    /** A scrape of the sidecar at {@code address}, taken at {@code nanos} ({@link System#nanoTime}). */
    void add(String address, long nanos, String text) {
        List<PrometheusText.Sample> requests = PrometheusText.parse(text).stream()
                .filter(s -> s.name().equals(GoldenStats.REQUESTS) || s.name().equals(GoldenStats.BUCKETS))
                .toList();
        ArrayDeque<Scrape> kept = bySidecar.computeIfAbsent(address, a -> new ArrayDeque<>());
        kept.addLast(new Scrape(nanos, requests));
        // Keep the newest scrape at least one window after the oldest, and no more than that.
        while (kept.size() > 2) {
            java.util.Iterator<Scrape> it = kept.iterator();
            it.next();
            if (nanos - it.next().nanos() < windowNanos) {
                break;
            }
            kept.removeFirst();
        }
    }

    /** Forgets every sidecar not in {@code current} (gone, or no longer scraped). */
    void retain(java.util.Set<String> current) {
        bySidecar.keySet().retainAll(current);
    }

    /** The request graph: each edge's window, summed over the sidecars that reported it. */
    Map<EdgeKey, GoldenStats.Window> edges() {
        Map<EdgeKey, GoldenStats.Window> out = new HashMap<>();
        for (ArrayDeque<Scrape> kept : bySidecar.values()) {
            if (kept.size() < 2) {
                continue;
            }
            Scrape first = kept.getFirst();
            Scrape last = kept.getLast();
            double seconds = (last.nanos() - first.nanos()) / 1e9;
            GoldenStats.windows(first.samples(), last.samples(), seconds, EdgeKey::of)
                    .forEach((edge, w) -> out.computeIfAbsent(edge, e -> new GoldenStats.Window()).add(w));
        }
        return out;
    }
}
