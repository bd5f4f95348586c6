package io.remora.proxy;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.remora.proxy.admin.AdminView;
import io.remora.proxy.admin.AppProbes;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.listener.ListenerSpec;
import io.remora.proxy.tls.CertsDump;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the admin endpoints show of one running proxy, rendered from its state when asked ({@code /config_dump},
 * {@code /certs}, {@code /clusters}), and what they may do to it (readiness, drain, quit), handed to the proxy.
 */
final class ProxyAdminView implements AdminView {
    private final ProxyServer proxy;
    private final ProxyContext pc;
    private final Listeners listeners;
    private final Bootstrap bootstrap;
    private final AppProbes appProbes;

    ProxyAdminView(ProxyServer proxy, Listeners listeners, Bootstrap bootstrap, AppProbes appProbes) {
        this.proxy = proxy;
        this.pc = proxy.context();
        this.listeners = listeners;
        this.bootstrap = bootstrap;
        this.appProbes = appProbes;
    }

    @Override
    public String configDumpJson() {
        return ConfigDump.json(pc.routes().snapshot(), listenerDump(), bootstrap.configDumpSection(configVersion()));
    }

    /** The {@code listeners} of {@code /config_dump}: each as bound, with the address it got. */
    private List<Map<String, Object>> listenerDump() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ListenerSpec l : listeners.specs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.name());
            m.put("kind", l.dumpKind());
            m.put("address", String.valueOf(listeners.address(l.name())));
            l.dumpDetails(m);
            out.add(m);
        }
        return out;
    }

    @Override
    public String certsJson() {
        return pc.identity() == null ? AdminView.super.certsJson()
                : CertsDump.json(pc.spec().mtls().mode(), pc.identity().current(), Instant.now());
    }

    @Override
    public String clustersText() {
        StringBuilder sb = new StringBuilder();
        Map<String, Integer> idle = pc.pools().idleConnections();
        for (Cluster c : pc.routes().clusters()) {
            for (Endpoint e : c.endpoints()) {
                String prefix = c.name() + "::" + e + "::";
                sb.append(prefix).append("weight::").append(e.weight()).append('\n');
                sb.append(prefix).append("rq_active::").append(e.activeRequests()).append('\n');
                sb.append(prefix).append("idle_connections::")
                        .append(idle.getOrDefault(e.address().toString(), 0)).append('\n');
                sb.append(prefix).append("protocol::").append(c.protocol().name().toLowerCase()).append('\n');
                // Envoy's wording: an endpoint ejected by outlier detection is "/failed_outlier_check".
                sb.append(prefix).append("health_flags::")
                        .append(c.guard().isEjected(e) ? "/failed_outlier_check" : "healthy").append('\n');
            }
        }
        return sb.toString();
    }

    @Override
    public io.remora.proxy.log.RequestTap tap() {
        return pc.tap();
    }

    @Override
    public String explainJson(Map<String, List<String>> query) {
        try {
            return io.remora.proxy.http.RequestExplainer.explain(pc, listeners.specs(), query);
        } catch (io.remora.proxy.http.RequestExplainer.BadQuery e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @Override
    public String configVersion() {
        return pc.routes().snapshot().version();
    }

    @Override
    public AppProbes appProbes() {
        return appProbes;
    }

    @Override
    public boolean ready() {
        return proxy.ready();
    }

    @Override
    public boolean live() {
        return proxy.live();
    }

    @Override
    public void drain() {
        proxy.drain();
    }

    @Override
    public void quit() {
        Thread t = new Thread(proxy::close, "remora-quit");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public PrometheusMeterRegistry registry() {
        return pc.metrics().registry();
    }
}
