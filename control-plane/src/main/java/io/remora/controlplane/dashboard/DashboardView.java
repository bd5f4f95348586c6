package io.remora.controlplane.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.MeshIndex;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.controlplane.mesh.MeshState;
import io.remora.controlplane.push.PushService;
import io.remora.controlplane.stats.GoldenStats;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /dashboard/data} answers, as JSON: the services of the mesh with each route's configured split,
 * the sidecars (workload, version, config version, connected, last ACK or NACK with its reason, certificate expiry,
 * scrape result), and the request graph's edges (source workload → service version: requests per second, share of
 * the source's requests to that service, success rate, p50/p95/p99, mTLS share). A pure function of what it is
 * given; numbers that are not known (no requests) are null.
 */
final class DashboardView {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DashboardView() {
    }

    /** One scrape round's inputs. */
    record Inputs(Instant now, MeshState mesh, List<PushService.ProxyStatus> sidecars,
                  Map<EdgeKey, GoldenStats.Window> edges, Map<String, String> scrapes, double windowSeconds,
                  double intervalSeconds) {
    }

    static byte[] render(Inputs in) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("generated", in.now().toString());
        body.put("mesh_version", in.mesh().version());
        Map<String, Object> scrape = new LinkedHashMap<>();
        scrape.put("interval_seconds", in.intervalSeconds());
        scrape.put("window_seconds", in.windowSeconds());
        scrape.put("scraped", in.scrapes().values().stream().filter("ok"::equals).count());
        scrape.put("failed", in.scrapes().values().stream().filter(r -> !r.equals("ok")).count());
        body.put("scrape", scrape);
        body.put("services", services(in.mesh()));
        body.put("sidecars", sidecars(in.sidecars(), in.scrapes()));
        body.put("edges", edges(in.edges()));
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Object> services(MeshState mesh) {
        MeshIndex index = mesh.snapshot().mesh();
        List<Object> out = new ArrayList<>();
        List<Service> services = new ArrayList<>(mesh.snapshot().services());
        services.sort(Comparator.comparing(Service::key));
        for (Service s : services) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", s.key());
            m.put("protocol", s.spec().protocol().name().toLowerCase(java.util.Locale.ROOT));
            m.put("endpoints", s.spec().endpoints().size());
            List<Object> subsets = new ArrayList<>();
            for (Service.Subset sub : s.spec().subsets()) {
                subsets.add(Map.of("name", sub.name(), "labels", sub.labels()));
            }
            m.put("subsets", subsets);
            Route route = index == null ? null : index.routeOf(s.key());
            m.put("route", route == null ? null : route.metadata().qualifiedName());
            m.put("rules", route == null ? List.of() : rules(route, index));
            out.add(m);
        }
        return out;
    }

    /** Each rule with its backends and the share each weight gives (the configured split). */
    private static List<Object> rules(Route route, MeshIndex index) {
        List<Object> out = new ArrayList<>();
        for (Route.Rule r : route.spec().rules()) {
            int total = r.backends().stream().mapToInt(Route.Backend::weight).sum();
            List<Object> backends = new ArrayList<>();
            for (Route.Backend b : r.backends()) {
                Map<String, Object> m = new LinkedHashMap<>();
                String key = index.serviceKeyOf(b.service());
                m.put("service", key == null ? b.service() : key);
                m.put("subset", b.subset());
                m.put("weight", b.weight());
                m.put("share", total > 0 ? (double) b.weight() / total : null);
                backends.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("matches", r.matches().size());
            m.put("backends", backends);
            out.add(m);
        }
        return out;
    }

    private static List<Object> sidecars(List<PushService.ProxyStatus> sidecars, Map<String, String> scrapes) {
        List<Object> out = new ArrayList<>();
        for (PushService.ProxyStatus p : sidecars) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", p.id());
            m.put("namespace", p.namespace());
            m.put("workload", p.workload());
            m.put("version", p.version());
            m.put("config_version", p.running());
            m.put("connected", p.connected());
            m.put("connected_since", string(p.connectedAt()));
            m.put("last_contact", string(p.lastContact()));
            PushService.Reply r = p.lastReply();
            if (r == null) {
                m.put("last_reply", null);
            } else {
                Map<String, Object> reply = new LinkedHashMap<>();
                reply.put("type", r.ack() ? "ACK" : "NACK");
                reply.put("version", r.version());
                reply.put("at", string(r.at()));
                reply.put("reason", r.reason());
                reply.put("detail", r.detail());
                m.put("last_reply", reply);
            }
            m.put("nacked_version", p.nacked());
            m.put("certificate_expiry", string(p.certificateExpiry()));
            m.put("metrics", p.metrics());
            m.put("scrape", p.metrics() == null ? "not scraped (its hello named no metrics address we may reach)"
                    : !p.connected() ? "not scraped (disconnected)" : scrapes.getOrDefault(p.metrics(), "pending"));
            out.add(m);
        }
        return out;
    }

    private static List<Object> edges(Map<EdgeKey, GoldenStats.Window> edges) {
        Map<String, Double> perSourceAndService = new HashMap<>();
        Map<EdgeKey, GoldenStats.Golden> golden = new HashMap<>();
        edges.forEach((k, w) -> {
            GoldenStats.Golden g = w.golden();
            golden.put(k, g);
            perSourceAndService.merge(k.sourceNamespace() + "/" + k.source() + "|" + k.service(), g.rps(), Double::sum);
        });
        List<EdgeKey> keys = new ArrayList<>(edges.keySet());
        keys.sort(Comparator.comparing(EdgeKey::service).thenComparing(EdgeKey::source)
                .thenComparing(EdgeKey::version));
        List<Object> out = new ArrayList<>();
        for (EdgeKey k : keys) {
            GoldenStats.Golden g = golden.get(k);
            double all = perSourceAndService.get(k.sourceNamespace() + "/" + k.source() + "|" + k.service());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("source", k.source());
            m.put("source_namespace", k.sourceNamespace());
            m.put("service", k.service());
            m.put("version", k.version());
            m.put("rps", number(g.rps()));
            m.put("share", all > 0 ? number(g.rps() / all) : null);
            m.put("success_rate", number(g.successRate()));
            m.put("p50_ms", number(g.p50()));
            m.put("p95_ms", number(g.p95()));
            m.put("p99_ms", number(g.p99()));
            m.put("mtls", number(g.mtlsShare()));
            m.put("requests", g.requests());
            out.add(m);
        }
        return out;
    }

    private static Double number(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
    }

    private static String string(Instant at) {
        return at == null ? null : at.toString();
    }
}
