package io.remora.launcher.stat;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tables {@code remora stat} prints; the numbers in the sidecar's are {@code GoldenStats}' (control-plane's
 * tests), those of the control plane's view come computed in its dashboard data.
 */
class StatsTableTest {
    @Test
    void noRequestsIsOneLine() {
        assertThat(Stats.table("", "", 2.0)).isEqualTo("no requests in the last 2.0 s\n");
    }

    @Test
    void theControlPlanesViewIsOneRowPerSourceAndServiceVersion() throws Exception {
        String json = """
                {"scrape": {"window_seconds": 10.0, "scraped": 3, "failed": 0}, "edges": [
                  {"source": "caller", "source_namespace": "demo", "service": "hello.demo", "version": "v1",
                   "rps": 9.0, "share": 0.9, "success_rate": 1.0, "p50_ms": 1.2, "p95_ms": 4.5, "p99_ms": 4.9,
                   "mtls": 1.0, "requests": 90},
                  {"source": "caller", "source_namespace": "demo", "service": "hello.demo", "version": "v2",
                   "rps": 1.0, "share": 0.1, "success_rate": 0.5, "p50_ms": null, "p95_ms": null, "p99_ms": null,
                   "mtls": 1.0, "requests": 10}]}
                """;
        java.util.List<String> lines = ControlPlaneStats.table(json).lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("SOURCE").contains("VERSION").contains("SHARE").contains("P99 ms");
        assertThat(lines.get(1)).startsWith("demo/caller").contains("hello.demo").contains(" v1 ").contains("90%")
                .contains("100.00%").contains("9.0").contains("4.9");
        assertThat(lines.get(2)).contains(" v2 ").contains("10%").contains("50.00%").endsWith("-   100%");
        assertThat(ControlPlaneStats.table("""
                {"scrape": {"window_seconds": 10.0, "scraped": 2, "failed": 1}, "edges": []}"""))
                .isEqualTo("no requests in the last 10.0 s (2 sidecars scraped, 1 failed)\n");
    }
}
