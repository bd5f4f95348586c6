package io.remora.controlplane.stats;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The golden signals as a function of two scrapes: rates, success, percentiles and mTLS share. */
class GoldenStatsTest {
    private static String scrape(int ok, int failed, int fastMs, int slowMs, int mtls) {
        String src = "reporter=\"source\",destination_service=\"a.test.svc.cluster.local\"";
        return "# TYPE istio_requests_total counter\n"
                + "istio_requests_total{" + src + ",response_code=\"200\",destination_principal=\"unknown\"} "
                + (ok - mtls) + "\n"
                + "istio_requests_total{" + src + ",response_code=\"200\",destination_principal=\"spiffe://t/ns/a/sa/a\"} "
                + mtls + "\n"
                + "istio_requests_total{" + src + ",response_code=\"503\",destination_principal=\"unknown\"} " + failed
                + "\n"
                + "istio_request_duration_milliseconds_bucket{" + src + ",le=\"5.0\"} " + fastMs + "\n"
                + "istio_request_duration_milliseconds_bucket{" + src + ",le=\"10.0\"} " + (fastMs + slowMs) + "\n"
                + "istio_request_duration_milliseconds_bucket{" + src + ",le=\"+Inf\"} " + (fastMs + slowMs) + "\n"
                + "process_cpu_usage 0.5\n";
    }

    @Test
    void ratesAndSuccessAndMtlsShareComeFromTheCountersDifference() {
        List<GoldenStats.Row> rows = GoldenStats.between(PrometheusText.parse(scrape(10, 0, 10, 0, 0)),
                PrometheusText.parse(scrape(100, 10, 50, 60, 45)), 2.0);
        assertThat(rows).hasSize(1);
        GoldenStats.Row r = rows.get(0);
        assertThat(r.direction()).isEqualTo("outbound");
        assertThat(r.service()).isEqualTo("a.test.svc.cluster.local");
        assertThat(r.requests()).isEqualTo(100);
        assertThat(r.rps()).isEqualTo(50.0);
        assertThat(r.successRate()).isEqualTo(0.9);
        assertThat(r.mtlsShare()).isEqualTo(0.45);
        // 40 new observations under 5 ms and 60 between 5 and 10: the median falls in the second bucket.
        assertThat(r.p50()).isCloseTo(5 + 5 * (50 - 40) / 60.0, within(1e-9));
        assertThat(r.p99()).isCloseTo(5 + 5 * (99 - 40) / 60.0, within(1e-9));
    }

    @Test
    void aServiceWithoutNewRequestsIsLeftOutAndNoBucketsIsNoPercentile() {
        assertThat(GoldenStats.between(PrometheusText.parse(scrape(10, 0, 10, 0, 0)),
                PrometheusText.parse(scrape(10, 0, 10, 0, 0)), 1.0)).isEmpty();
        assertThat(GoldenStats.percentile(new TreeMap<>(), 0.5)).isNaN();
    }

    @Test
    void windowsOfTheSameGroupAddUpAcrossSidecarsAndARestartedCounterCountsFromZero() {
        java.util.Map<String, GoldenStats.Window> one = GoldenStats.windows(PrometheusText.parse(scrape(10, 0, 10, 0, 0)),
                PrometheusText.parse(scrape(100, 10, 50, 60, 45)), 2.0, s -> "edge");
        java.util.Map<String, GoldenStats.Window> restarted = GoldenStats.windows(
                PrometheusText.parse(scrape(100, 10, 50, 60, 45)), PrometheusText.parse(scrape(20, 0, 20, 0, 0)), 1.0,
                s -> "edge");
        GoldenStats.Window sum = new GoldenStats.Window();
        sum.add(one.get("edge"));
        sum.add(restarted.get("edge"));
        GoldenStats.Golden g = sum.golden();
        assertThat(g.requests()).isEqualTo(120);
        assertThat(g.rps()).isEqualTo(50.0 + 20.0);
        assertThat(g.successRate()).isCloseTo(110 / 120.0, within(1e-9));
        assertThat(GoldenStats.windows(PrometheusText.parse(scrape(10, 0, 10, 0, 0)),
                PrometheusText.parse(scrape(100, 10, 50, 60, 45)), 2.0, s -> null)).isEmpty();
    }

    @Test
    void labelValuesWithEscapesAndSamplesWithTimestampsAreRead() {
        List<PrometheusText.Sample> s = PrometheusText.parse("m{a=\"x\\\"y\",b=\"z\"} 3 1700000000000\nbroken line\n");
        assertThat(s).hasSize(1);
        assertThat(s.get(0).label("a")).isEqualTo("x\"y");
        assertThat(s.get(0).value()).isEqualTo(3.0);
    }
}
