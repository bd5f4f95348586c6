package io.remora.launcher.stat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.HostPort;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;

/**
 * {@code remora stat --control-plane}: the mesh's golden signals as the control plane sees them, one row per edge of
 * its request graph (source workload → service version), read from its dashboard's data ({@code /dashboard/data}),
 * where they are already computed over the control plane's scrape window from every sidecar it scrapes.
 */
public final class ControlPlaneStats {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Stats data;

    public ControlPlaneStats(HostPort admin) {
        this.data = new Stats(URI.create("http://" + admin + "/dashboard/data"));
    }

    /** The dashboard's JSON; an answer other than 200 is an {@link IOException} naming it. */
    public String fetch() throws IOException, InterruptedException {
        return data.scrape();
    }

    /** The table of the edges in {@code json}; one line when there were no requests. */
    public static String table(String json) throws IOException {
        JsonNode d = JSON.readTree(json);
        JsonNode edges = d.path("edges");
        JsonNode scrape = d.path("scrape");
        if (edges.isEmpty()) {
            return String.format(Locale.ROOT, "no requests in the last %.1f s (%d sidecars scraped, %d failed)%n",
                    scrape.path("window_seconds").asDouble(), scrape.path("scraped").asInt(),
                    scrape.path("failed").asInt());
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%-28s %-32s %-10s %6s %8s %9s %9s %9s %9s %6s%n", "SOURCE", "SERVICE", "VERSION", "SHARE", "SUCCESS",
                "RPS", "P50 ms", "P95 ms", "P99 ms", "MTLS"));
        for (JsonNode e : edges) {
            sb.append(String.format(Locale.ROOT, "%-28s %-32s %-10s %6s %8s %9s %9s %9s %9s %6s%n",
                    e.path("source_namespace").asText() + "/" + e.path("source").asText(), e.path("service").asText(),
                    e.path("version").asText(), percent(e.path("share"), 0), percent(e.path("success_rate"), 2),
                    number(e.path("rps")), number(e.path("p50_ms")), number(e.path("p95_ms")), number(e.path("p99_ms")),
                    percent(e.path("mtls"), 0)));
        }
        return sb.toString();
    }

    private static String percent(JsonNode v, int digits) {
        return v.isNumber() ? String.format(Locale.ROOT, "%." + digits + "f%%", v.asDouble() * 100) : "-";
    }

    private static String number(JsonNode v) {
        return v.isNumber() ? String.format(Locale.ROOT, "%.1f", v.asDouble()) : "-";
    }
}
