package io.remora.launcher.stat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The golden signals of each service a sidecar reported between two scrapes, as {@code linkerd viz stat} shows them:
 * requests per second, success rate (not 5xx), latency percentiles from the duration histogram's buckets, and the
 * share of requests over mutual TLS. A pure function of the two scrapes and the time between them.
 */
final class GoldenStats {
    private static final String REQUESTS = "istio_requests_total";
    private static final String BUCKETS = "istio_request_duration_milliseconds_bucket";

    private GoldenStats() {
    }

    /** One row: a direction ({@code outbound} as the source, {@code inbound} as the destination) and a service. */
    record Row(String direction, String service, double rps, double successRate, double p50, double p95, double p99,
               double mtlsShare, long requests) {
    }

    private static final class Acc {
        double total;
        double ok;
        double mtls;
        final TreeMap<Double, Double> buckets = new TreeMap<>();
    }

    static List<Row> between(List<PrometheusText.Sample> before, List<PrometheusText.Sample> after, double seconds) {
        Map<String, Acc> a = accumulate(after);
        Map<String, Acc> b = accumulate(before);
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, Acc> e : a.entrySet()) {
            Acc now = e.getValue();
            Acc then = b.getOrDefault(e.getKey(), new Acc());
            double total = now.total - then.total;
            if (total <= 0) {
                continue;
            }
            TreeMap<Double, Double> delta = new TreeMap<>();
            now.buckets.forEach((le, count) -> delta.put(le, count - then.buckets.getOrDefault(le, 0.0)));
            String[] key = e.getKey().split("\u0000", 2);
            rows.add(new Row(key[0], key[1], total / seconds, (now.ok - then.ok) / total,
                    percentile(delta, 0.50), percentile(delta, 0.95), percentile(delta, 0.99),
                    (now.mtls - then.mtls) / total, Math.round(total)));
        }
        return rows;
    }

    private static Map<String, Acc> accumulate(List<PrometheusText.Sample> samples) {
        Map<String, Acc> out = new TreeMap<>();
        for (PrometheusText.Sample s : samples) {
            boolean requests = s.name().equals(REQUESTS);
            if (!requests && !s.name().equals(BUCKETS)) {
                continue;
            }
            boolean source = s.label("reporter").equals("source");
            String key = (source ? "outbound" : "inbound") + "\u0000" + s.label("destination_service");
            Acc acc = out.computeIfAbsent(key, k -> new Acc());
            if (requests) {
                acc.total += s.value();
                if (!s.label("response_code").startsWith("5")) {
                    acc.ok += s.value();
                }
                boolean mtls = source ? !s.label("destination_principal").equals("unknown")
                        && !s.label("destination_principal").isEmpty()
                        : s.label("connection_security_policy").equals("mutual_tls");
                if (mtls) {
                    acc.mtls += s.value();
                }
            } else {
                String le = s.label("le");
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                acc.buckets.merge(bound, s.value(), Double::sum);
            }
        }
        return out;
    }

    /**
     * The {@code q} quantile from cumulative bucket counts, interpolated linearly inside its bucket as Prometheus's
     * {@code histogram_quantile} does; NaN without observations.
     */
    static double percentile(TreeMap<Double, Double> cumulative, double q) {
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
