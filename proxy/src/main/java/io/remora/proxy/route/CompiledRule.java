package io.remora.proxy.route;

import java.util.LinkedHashMap;
import io.netty.handler.codec.http.HttpHeaders;
import io.remora.config.Route;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.ServiceClusters;
import io.remora.proxy.policy.Randomness;
import io.remora.proxy.policy.Ticker;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One rule of a route, ready to evaluate: its matchers (any one selects the rule; none selects every request) and
 * its backends as pre-built {@link RouteMatch} instances with cumulative weights, so choosing a backend allocates
 * nothing. Backends of weight zero are left out at build time and never chosen.
 */
final class CompiledRule {
    private final RequestMatcher[] matchers;
    private final RouteMatch[] targets;
    private final int[] cumulativeWeights;
    private final Randomness randomness;

    /**
     * @param targets one per backend of positive weight, in declaration order
     * @param weights their weights, all positive
     */
    private CompiledRule(RequestMatcher[] matchers, RouteMatch[] targets, int[] weights, Randomness randomness) {
        this.randomness = randomness;
        if (targets.length == 0 || targets.length != weights.length) {
            throw new IllegalArgumentException("a rule needs at least one backend of positive weight");
        }
        this.matchers = matchers;
        this.targets = targets;
        this.cumulativeWeights = new int[weights.length];
        long sum = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] <= 0) {
                throw new IllegalArgumentException("backend weights must be positive, got " + weights[i]);
            }
            sum += weights[i];
            if (sum > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("backend weights of a rule must sum to at most "
                        + Integer.MAX_VALUE);
            }
            cumulativeWeights[i] = (int) sum;
        }
    }

    /**
     * Compiles rule {@code index} of {@code route}. A rule without backends sends requests to {@code fallback}, the
     * whole cluster of the service being routed.
     *
     * @param clusters every service's clusters by service key
     */
    static CompiledRule compile(Route route, int index, Cluster fallback, Map<String, ServiceClusters> clusters,
                                Ticker ticker, Randomness randomness) {
        Route.Rule rule = route.spec().rules().get(index);
        String routeName = route.metadata().name();
        String ruleName = rule.name() != null ? rule.name() : "rule-" + index;
        String where = "route " + route.metadata().qualifiedName() + ": spec.rules[" + index + "]";

        // One policy per rule: every backend of the rule shares its deadline, retries, faults and rate limit.
        RoutePolicy policy = RoutePolicy.compile(rule, ticker);
        RequestMatcher[] matchers = new RequestMatcher[rule.matches().size()];
        for (int m = 0; m < matchers.length; m++) {
            matchers[m] = RequestMatcher.compile(rule.matches().get(m), where + ".matches[" + m + "]");
        }

        if (rule.backends().isEmpty()) {
            RouteMatch whole = new RouteMatch(fallback.serviceKey(), routeName, ruleName, fallback, policy);
            return new CompiledRule(matchers, new RouteMatch[] {whole}, new int[] {1}, randomness);
        }
        List<RouteMatch> targets = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        for (int b = 0; b < rule.backends().size(); b++) {
            Route.Backend backend = rule.backends().get(b);
            Cluster cluster = backendCluster(backend, clusters, where + ".backends[" + b + "]");
            if (backend.weight() > 0) {
                targets.add(new RouteMatch(fallback.serviceKey(), routeName, ruleName, cluster, policy));
                weights.add(backend.weight());
            }
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException(where + ": every backend has weight 0; at least one must be positive");
        }
        int[] weightArray = new int[weights.size()];
        for (int i = 0; i < weightArray.length; i++) {
            weightArray[i] = weights.get(i);
        }
        return new CompiledRule(matchers, targets.toArray(new RouteMatch[0]), weightArray, randomness);
    }

    private static Cluster backendCluster(Route.Backend backend, Map<String, ServiceClusters> clusters,
                                          String where) {
        ServiceClusters service = clusters.get(backend.service());
        if (service == null) {
            throw new IllegalArgumentException(where + ": unknown service \"" + backend.service() + "\"");
        }
        if (backend.subset() == null) {
            return service.all();
        }
        Cluster subset = service.subset(backend.subset());
        if (subset == null) {
            throw new IllegalArgumentException(where + ": service " + backend.service() + " has no subset \""
                    + backend.subset() + "\"");
        }
        return subset;
    }

    boolean matches(CharSequence method, CharSequence target, int pathEnd, HttpHeaders headers) {
        if (matchers.length == 0) {
            return true;
        }
        for (RequestMatcher m : matchers) {
            if (m.matches(method, target, pathEnd, headers)) {
                return true;
            }
        }
        return false;
    }

    /**
     * This rule seen against one request, for {@code /debug/explain}: its name, whether it matches and, when it does
     * not, why each of its matches fails; its backends with their weights and shares.
     */
    Map<String, Object> explain(CharSequence method, CharSequence target, int pathEnd, HttpHeaders headers) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rule", targets[0].ruleName());
        boolean matched = matches(method, target, pathEnd, headers);
        out.put("matched", matched);
        if (!matched) {
            List<String> why = new ArrayList<>();
            for (RequestMatcher m : matchers) {
                why.add(m.mismatch(method, target, pathEnd, headers));
            }
            out.put("why_not", why);
        }
        List<Map<String, Object>> backends = new ArrayList<>();
        int total = cumulativeWeights[cumulativeWeights.length - 1];
        for (int i = 0; i < targets.length; i++) {
            int weight = cumulativeWeights[i] - (i == 0 ? 0 : cumulativeWeights[i - 1]);
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("cluster", targets[i].cluster().name());
            b.put("weight", weight);
            b.put("share_percent", Math.round(weight * 1000.0 / total) / 10.0);
            backends.add(b);
        }
        out.put("backends", backends);
        return out;
    }

    /** One backend, with probability proportional to its weight. */
    RouteMatch pickTarget() {
        if (targets.length == 1) {
            return targets[0];
        }
        int x = randomness.current().nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
        for (int i = 0; i < cumulativeWeights.length - 1; i++) {
            if (x < cumulativeWeights[i]) {
                return targets[i];
            }
        }
        return targets[targets.length - 1];
    }

}
