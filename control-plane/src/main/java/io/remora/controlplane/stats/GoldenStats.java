package io.remora.controlplane.stats;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The golden signals of the requests a sidecar reported between two scrapes, as {@code linkerd viz stat} shows them:
 * requests per second, success rate (not 5xx), latency percentiles from the duration histogram's buckets, and the
 * share of requests over mutual TLS. Pure functions of the two scrapes and the time between them, grouped by what the
 * caller asks: per direction and service for {@code remora stat} on one sidecar ({@link #between}), per edge of the
 * request graph for the control plane's dashboard ({@link #windows}).
 */
public final class GoldenStats {
    public static final String REQUESTS = "istio_requests_total";
    public static final String BUCKETS = "istio_request_duration_milliseconds_bucket";

    private GoldenStats() {
    }

    /** One row: a direction ({@code outbound} as the source, {@code inbound} as the destination) and a service. */
    public record Row(String direction, String service, double rps, double successRate, double p50, double p95,
                      double p99, double mtlsShare, long requests) {
    }

    /** The signals of one group of requests. */
    public record Golden(double rps, double successRate, double p50, double p95, double p99, double mtlsShare,
                         long requests) {
    }

    /**
     * What a group's counters grew by between two scrapes, and its rate. Windows add up (counts, rates and bucket
     * counts), so the same edge reported by several sidecars, each scraped at its own moments, is one window.
     */
    public static final class Window {
        private double requests;
        private double ok;
        private double mtls;
        private double rps;
        private final TreeMap<Double, Double> buckets = new TreeMap<>();

        /** Adds {@code other} into this one. */
        public void add(Window other) {
            requests += other.requests;
            ok += other.ok;
            mtls += other.mtls;
            rps += other.rps;
            other.buckets.forEach((le, n) -> buckets.merge(le, n, Double::sum));
        }

        public Golden golden() {
            return new Golden(rps, requests > 0 ? ok / requests : Double.NaN, percentile(buckets, 0.50),
                    percentile(buckets, 0.95), percentile(buckets, 0.99), requests > 0 ? mtls / requests : Double.NaN,
                    Math.round(requests));
        }
    }

    private static final class Acc {
        double total;
        double ok;
        double mtls;
        final TreeMap<Double, Double> buckets = new TreeMap<>();
    }

    /** Per direction and service ({@code remora stat}): services without new requests are left out. */
    public static List<Row> between(List<PrometheusText.Sample> before, List<PrometheusText.Sample> after,
                                    double seconds) {
        Map<String, Window> windows = windows(before, after, seconds,
                s -> (isSource(s) ? "outbound" : "inbound") + "\u0000" + s.label("destination_service"));
        List<Row> rows = new ArrayList<>();
        new TreeMap<>(windows).forEach((key, w) -> {
            String[] k = key.split("\u0000", 2);
            Golden g = w.golden();
            rows.add(new Row(k[0], k[1], g.rps(), g.successRate(), g.p50(), g.p95(), g.p99(), g.mtlsShare(),
                    g.requests()));
        });
        return rows;
    }

    /**
     * The requests between two scrapes {@code seconds} apart, grouped by {@code key} (a sample whose key is null is
     * left out); a group without new requests is left out. A counter that went down (the sidecar restarted) counts
     * from zero, as Prometheus's {@code rate} does.
     */
    public static <K> Map<K, Window> windows(List<PrometheusText.Sample> before, List<PrometheusText.Sample> after,
                                             double seconds, Function<PrometheusText.Sample, K> key) {
        Map<K, Acc> a = accumulate(after, key);
        Map<K, Acc> b = accumulate(before, key);
        Map<K, Window> out = new HashMap<>();
        for (Map.Entry<K, Acc> e : a.entrySet()) {
            Acc now = e.getValue();
            Acc then = b.getOrDefault(e.getKey(), new Acc());
            if (now.total < then.total) {
                then = new Acc(); // reset
            }
            double total = now.total - then.total;
            if (total <= 0) {
                continue;
            }
            Window w = new Window();
            w.requests = total;
            w.ok = now.ok - then.ok;
            w.mtls = now.mtls - then.mtls;
            w.rps = seconds > 0 ? total / seconds : 0;
            TreeMap<Double, Double> old = then.buckets;
            now.buckets.forEach((le, count) -> w.buckets.put(le, count - old.getOrDefault(le, 0.0)));
            out.put(e.getKey(), w);
        }
        return out;
    }

    private static boolean isSource(PrometheusText.Sample s) {
        return s.label("reporter").equals("source");
    }

    private static <K> Map<K, Acc> accumulate(List<PrometheusText.Sample> samples,
                                              Function<PrometheusText.Sample, K> key) {
        Map<K, Acc> out = new HashMap<>();
        for (PrometheusText.Sample s : samples) {
            boolean requests = s.name().equals(REQUESTS);
            if (!requests && !s.name().equals(BUCKETS)) {
                continue;
            }
            K k = key.apply(s);
            if (k == null) {
                continue;
            }
            Acc acc = out.computeIfAbsent(k, x -> new Acc());
            if (requests) {
                acc.total += s.value();
                if (!s.label("response_code").startsWith("5")) {
                    acc.ok += s.value();
                }
                boolean mtls = isSource(s) ? !s.label("destination_principal").equals("unknown")
                        && !s.label("destination_principal").isEmpty()
                        : s.label("connection_security_policy").equals("mutual_tls");
                if (mtls) {
                    acc.mtls += s.value();
                }
            } else {
                String le = s.label("le");
                double bound;
                try {
                    bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                } catch (NumberFormatException e) {
                    continue;
                }
                acc.buckets.merge(bound, s.value(), Double::sum);
            }
        }
        return out;
    }

    /**
     * The {@code q} quantile from cumulative bucket counts, interpolated linearly inside its bucket as Prometheus's
     * {@code histogram_quantile} does; NaN without observations.
     */
    public static double percentile(TreeMap<Double, Double> cumulative, double q) {
        if (cumulative.isEmpty()) {
            return Double.NaN;
        }
        double total = cumulative.lastEntry().getValue();
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
            if (e.getValue() >= rank) {
                if (e.getKey().isInfinite()) {
                    return lowerBound;
                }
                double inBucket = e.getValue() - lowerCount;
                return inBucket <= 0 ? e.getKey()
                        : lowerBound + (e.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = e.getKey();
            lowerCount = e.getValue();
        }
        return lowerBound;
    }
}
