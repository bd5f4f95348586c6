package io.remora.launcher.stat;

import io.remora.config.HostPort;
import io.remora.controlplane.stats.GoldenStats;
import io.remora.controlplane.stats.PrometheusText;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Scrapes a sidecar's {@code /stats/prometheus} and renders the table {@code remora stat} prints. */
public final class Stats {
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final URI uri;

    public Stats(HostPort metrics) {
        this(URI.create("http://" + metrics + "/stats/prometheus"));
    }

    /** Reads {@code uri} instead (the control plane's dashboard data: {@link ControlPlaneStats}). */
    Stats(URI uri) {
        this.uri = uri;
    }

    /** The text at the address (the metrics); an answer other than 200 is an {@link IOException} naming it. */
    public String scrape() throws IOException, InterruptedException {
        HttpResponse<String> res = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException(uri + " answered " + res.statusCode());
        }
        return res.body();
    }

    /** The table of the services seen between two scrapes {@code seconds} apart; one line when there were none. */
    public static String table(String before, String after, double seconds) {
        List<GoldenStats.Row> rows = GoldenStats.between(PrometheusText.parse(before), PrometheusText.parse(after),
                seconds);
        if (rows.isEmpty()) {
            return "no requests in the last " + String.format(Locale.ROOT, "%.1f", seconds) + " s\n";
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-9s %-42s %8s %9s %9s %9s %9s %6s%n",
                "DIRECTION", "SERVICE", "SUCCESS", "RPS", "P50 ms", "P95 ms", "P99 ms", "MTLS"));
        for (GoldenStats.Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%-9s %-42s %7.2f%% %9.1f %9s %9s %9s %5.0f%%%n", r.direction(),
                    r.service(), r.successRate() * 100, r.rps(), ms(r.p50()), ms(r.p95()), ms(r.p99()),
                    r.mtlsShare() * 100));
        }
        return sb.toString();
    }

    private static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }
}
