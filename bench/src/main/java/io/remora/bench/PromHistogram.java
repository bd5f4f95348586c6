package io.remora.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Prometheus histogram scraped from a text exposition (here the control plane's
 * {@code remora_cp_convergence_seconds}): cumulative bucket counts by upper bound, count, sum and max. Two scrapes
 * subtract, so a window (the route changes) can be read on its own.
 */
record PromHistogram(TreeMap<Double, Double> buckets, double count, double sum, double max) {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    static PromHistogram scrape(String url, String name) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(url + " answered " + r.statusCode());
        }
        return parse(r.body(), name);
    }

    static PromHistogram parse(String exposition, String name) {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        double count = 0;
        double sum = 0;
        double max = 0;
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) {
                continue;
            }
            String metric = m.group(1);
            double value = Double.parseDouble(m.group(3));
            if (metric.equals(name + "_bucket")) {
                Matcher le = LE.matcher(m.group(2) == null ? "" : m.group(2));
                if (le.find()) {
                    String bound = le.group(1);
                    buckets.put(bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound), value);
                }
            } else if (metric.equals(name + "_count")) {
                count = value;
            } else if (metric.equals(name + "_sum")) {
                sum = value;
            } else if (metric.equals(name + "_max")) {
                max = value;
            }
        }
        return new PromHistogram(buckets, count, sum, max);
    }

    /** This scrape minus an earlier one; max stays this scrape's (a decaying maximum cannot be subtracted). */
    PromHistogram minus(PromHistogram earlier) {
        TreeMap<Double, Double> b = new TreeMap<>();
        buckets.forEach((le, c) -> b.put(le, c - earlier.buckets.getOrDefault(le, 0.0)));
        return new PromHistogram(b, count - earlier.count, sum - earlier.sum, max);
    }

    /** The bucket holding the q-quantile, as "(lower, upper] s", or "-" when empty. */
    String quantileBucket(double q) {
        if (count <= 0) {
            return "-";
        }
        double lower = 0;
        for (Map.Entry<Double, Double> e : buckets.entrySet()) {
            if (e.getValue() >= q * count) {
                return "(" + fmt(lower) + ", " + fmt(e.getKey()) + "] s";
            }
            lower = e.getKey();
        }
        return "> " + fmt(lower) + " s";
    }

    /** Fraction of observations at or below {@code seconds} (which must be a bucket bound). */
    double fractionAtMost(double seconds) {
        Double c = buckets.get(seconds);
        return c == null || count <= 0 ? Double.NaN : c / count;
    }

    private static String fmt(double v) {
        return Double.isInfinite(v) ? "+Inf" : v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
