package io.remora.proxy.route;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.remora.config.HostPort;
import io.remora.config.Metadata;
import io.remora.config.Protocol;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.config.Snapshot;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouteTableTest {
    private static final HttpHeaders NO_HEADERS = new DefaultHttpHeaders();

    private static Service.Endpoint endpoint(String address, String version) {
        return new Service.Endpoint(HostPort.parse(address), Map.of("version", version), 1, null);
    }

    private static Service service(String name, String namespace, Protocol protocol, List<String> hosts,
                                   List<String> addresses, List<Service.Endpoint> endpoints,
                                   List<Service.Subset> subsets) {
        return new Service(Metadata.of(name, namespace), new Service.Spec(hosts,
                addresses.stream().map(HostPort::parse).toList(), protocol, endpoints, subsets, null));
    }

    private static Route route(String name, List<String> services, Route.Rule... rules) {
        return new Route(Metadata.of(name, "shop"), new Route.Spec(services, List.of(rules)));
    }

    private static Route.Rule rule(String name, List<Route.Match> matches, Route.Backend... backends) {
        return new Route.Rule(name, matches, List.of(backends));
    }

    private static Route.Backend to(String service, String subset, int weight) {
        return new Route.Backend(service, subset, weight);
    }

    private static Route.Match path(Route.StringMatch path) {
        return new Route.Match(path, null, Map.of());
    }

    private static final Service PAYMENTS = service("payments", "shop", Protocol.HTTP,
            List.of("payments.example.com", "Pay.Example.COM:8443", "FD00::99"),
            List.of("10.96.0.10:80", "[fd00::10]:80"),
            List.of(endpoint("10.0.0.1:8080", "v1"), endpoint("10.0.0.2:8080", "v2"),
                    endpoint("10.0.0.3:8080", "v2")),
            List.of(new Service.Subset("v1", Map.of("version", "v1")),
                    new Service.Subset("v2", Map.of("version", "v2"))));
    private static final Service REVIEWS = service("reviews", "shop", Protocol.GRPC, List.of(), List.of(),
            List.of(endpoint("10.0.1.1:9080", "v1")), List.of());
    private static final Service RATINGS = service("ratings", "shop", Protocol.HTTP2,
            List.of("ratings.example.com"), List.of(), List.of(endpoint("10.0.2.1:9080", "v1")), List.of());
    private static final Service DB = service("db", "data", Protocol.TCP, List.of(), List.of("10.96.5.5:5432"),
            List.of(endpoint("10.0.3.1:5432", "v1")), List.of());

    private static final Route PAYMENTS_ROUTE = route("payments", List.of("payments.shop"),
            rule("admin", List.of(new Route.Match(Route.StringMatch.exact("/admin"), "POST", Map.of())),
                    to("payments.shop", "v1", 1)),
            rule("canary-api", List.of(new Route.Match(Route.StringMatch.prefix("/api/"), null,
                            Map.of("x-canary", Route.StringMatch.exact("true")))),
                    to("payments.shop", "v2", 1)),
            rule("items", List.of(path(Route.StringMatch.regex("/items/[0-9]+"))), to("payments.shop", "v1", 1)),
            rule("vip-or-delete", List.of(
                            new Route.Match(null, null, Map.of("X-User", Route.StringMatch.prefix("vip-"))),
                            new Route.Match(null, "DELETE", Map.of())),
                    to("payments.shop", "v2", 1)),
            rule("split", List.of(path(Route.StringMatch.prefix("/split"))),
                    to("payments.shop", "v1", 90), to("payments.shop", "v2", 10), to("payments.shop", null, 0)),
            rule(null, List.of(path(Route.StringMatch.prefix("/api/"))), to("reviews.shop", null, 1)));
    /** Names ratings by one of its hosts. */
    private static final Route SHADOW_ROUTE = route("shadow", List.of("ratings.example.com"),
            rule("everything", List.of(), to("reviews.shop", null, 1)));

    private static final Snapshot SNAPSHOT = new Snapshot("v1", null, List.of(PAYMENTS, REVIEWS, RATINGS, DB),
            List.of(PAYMENTS_ROUTE, SHADOW_ROUTE));
    private static final RouteTable TABLE = RouteTable.build(SNAPSHOT);

    // ---- lookup ----

    @Test
    void authorityMatchesKeyHostsAndClusterDnsNamesIgnoringCaseAndPort() {
        ServiceRoutes payments = TABLE.byKey("payments.shop");
        assertThat(payments).isNotNull();
        for (String authority : List.of("payments.shop", "PAYMENTS.Shop", "payments.shop:8080",
                "payments.shop.svc", "payments.shop.svc.cluster.local", "payments.shop.svc.cluster.local:80",
                "Payments.Shop.SVC.Cluster.Local.", "payments.example.com", "payments.example.com:443",
                "pay.example.com", "PAY.EXAMPLE.COM:8443", "[fd00::99]", "[FD00::99]:8080")) {
            assertThat(TABLE.byAuthority(authority)).as(authority).isSameAs(payments);
        }
        assertThat(TABLE.byAuthority(AsciiString.of("reviews.shop:9080"))).isSameAs(TABLE.byKey("reviews.shop"));
        assertThat(TABLE.byAuthority(new StringBuilder("Ratings.Example.com"))).isSameAs(TABLE.byKey("ratings.shop"));
    }

    @Test
    void unknownOrMalformedAuthoritiesFindNothing() {
        for (String authority : List.of("payments", "payments.shop.svc.cluster", "shop", "evil.com",
                "payments.shopx", "xpayments.shop", "", ":80", "[fd00::99", "[]:80", "fd00::98")) {
            assertThat(TABLE.byAuthority(authority)).as(authority).isNull();
        }
        assertThat(TABLE.byAuthority(null)).isNull();
    }

    @Test
    void addressMatchesVirtualAddressesAndEndpoints() {
        ServiceRoutes payments = TABLE.byKey("payments.shop");
        assertThat(TABLE.byAddress(new InetSocketAddress("10.96.0.10", 80))).isSameAs(payments);
        assertThat(TABLE.byAddress(new InetSocketAddress("fd00:0:0:0:0:0:0:10", 80))).isSameAs(payments);
        assertThat(TABLE.byAddress(new InetSocketAddress("10.0.0.2", 8080))).isSameAs(payments);
        assertThat(TABLE.byAddress(new InetSocketAddress("10.0.1.1", 9080))).isSameAs(TABLE.byKey("reviews.shop"));
        assertThat(TABLE.byAddress(new InetSocketAddress("10.96.5.5", 5432))).isSameAs(TABLE.byKey("db.data"));
        assertThat(TABLE.byAddress(new InetSocketAddress("10.96.0.10", 81))).isNull();
        assertThat(TABLE.byAddress(new InetSocketAddress("10.96.0.11", 80))).isNull();
        assertThat(TABLE.byAddress(null)).isNull();
    }

    @Test
    void keyLookupAndServiceDetails() {
        ServiceRoutes db = TABLE.byKey("db.data");
        assertThat(db.serviceKey()).isEqualTo("db.data");
        assertThat(db.serviceName()).isEqualTo("db");
        assertThat(db.namespace()).isEqualTo("data");
        assertThat(db.protocol()).isEqualTo(Protocol.TCP);
        assertThat(db.defaultCluster().name()).isEqualTo("db.data");
        assertThat(db.defaultCluster().endpoints()).extracting(Endpoint::toString).containsExactly("10.0.3.1:5432");
        assertThat(TABLE.byKey("Payments.Shop")).isNull();
        assertThat(TABLE.byKey("nope.shop")).isNull();
        assertThat(TABLE.snapshot()).isSameAs(SNAPSHOT);
    }

    @Test
    void clustersListsEveryServiceAndSubsetSharingEndpoints() {
        assertThat(TABLE.clusters()).extracting(Cluster::name).containsExactly("payments.shop", "payments.shop/v1",
                "payments.shop/v2", "reviews.shop", "ratings.shop", "db.data");
        Cluster all = TABLE.byKey("payments.shop").defaultCluster();
        Cluster v2 = TABLE.clusters().stream().filter(c -> c.name().equals("payments.shop/v2")).findFirst()
                .orElseThrow();
        assertThat(v2.endpoints().get(0)).isSameAs(all.endpoints().get(1));
        assertThat(match("GET", "/split", NO_HEADERS).cluster().endpoints().get(0))
                .isIn(all.endpoints().get(0), all.endpoints().get(1));
    }

    // ---- rule matching ----

    private static RouteMatch match(String method, String target, HttpHeaders headers) {
        return TABLE.byKey("payments.shop").match(method, target, headers);
    }

    private static HttpHeaders headers(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    @Test
    void exactPathAndMethodMustBothHold() {
        RouteMatch m = match("POST", "/admin", NO_HEADERS);
        assertThat(m.routeName()).isEqualTo("payments");
        assertThat(m.ruleName()).isEqualTo("admin");
        assertThat(m.cluster().name()).isEqualTo("payments.shop/v1");
        assertThat(match("POST", "/admin?verbose=1", NO_HEADERS).ruleName()).isEqualTo("admin");
        assertThat(match("GET", "/admin", NO_HEADERS)).isNull();
        assertThat(match("post", "/admin", NO_HEADERS)).isNull();
        assertThat(match("POST", "/admin/", NO_HEADERS)).isNull();
        assertThat(match("POST", "/admi", NO_HEADERS)).isNull();
    }

    @Test
    void prefixAndHeaderMustBothHoldWithHeaderNamesCaseInsensitive() {
        assertThat(match("GET", "/api/orders", headers("X-Canary", "true")).ruleName()).isEqualTo("canary-api");
        assertThat(match("GET", "/api/orders", headers("x-canary", "true")).cluster().name())
                .isEqualTo("payments.shop/v2");
        // without the header, or with another value, the later unnamed /api/ rule applies
        RouteMatch fallback = match("GET", "/api/orders", headers("x-canary", "false"));
        assertThat(fallback.ruleName()).isEqualTo("rule-5");
        assertThat(fallback.cluster().name()).isEqualTo("reviews.shop");
        assertThat(match("GET", "/api/orders", NO_HEADERS).ruleName()).isEqualTo("rule-5");
        assertThat(match("GET", "/api/orders", null).ruleName()).isEqualTo("rule-5");
        assertThat(match("GET", "/api", headers("x-canary", "true"))).isNull();
    }

    @Test
    void regexMustMatchTheWholePathWithoutQuery() {
        assertThat(match("GET", "/items/42", NO_HEADERS).ruleName()).isEqualTo("items");
        assertThat(match("GET", "/items/42?color=red", NO_HEADERS).ruleName()).isEqualTo("items");
        assertThat(match("GET", "/items/42/reviews", NO_HEADERS)).isNull();
        assertThat(match("GET", "/items/abc", NO_HEADERS)).isNull();
        assertThat(match("GET", "/v1/items/42", NO_HEADERS)).isNull();
    }

    @Test
    void matchesOfARuleAreAlternatives() {
        assertThat(match("GET", "/anything", headers("x-user", "vip-7")).ruleName()).isEqualTo("vip-or-delete");
        assertThat(match("DELETE", "/anything", NO_HEADERS).ruleName()).isEqualTo("vip-or-delete");
        assertThat(match("GET", "/anything", headers("x-user", "regular"))).isNull();
    }

    @Test
    void firstMatchingRuleWins() {
        // matches both "canary-api" (rule 1) and "vip-or-delete" (rule 3)
        assertThat(match("DELETE", "/api/x", headers("x-canary", "true")).ruleName()).isEqualTo("canary-api");
        // matches both "items" (rule 2) and "vip-or-delete" (rule 3)
        assertThat(match("DELETE", "/items/1", NO_HEADERS).ruleName()).isEqualTo("items");
    }

    @Test
    void noRuleMatchingGivesNull() {
        assertThat(match("GET", "/", NO_HEADERS)).isNull();
        assertThat(match("GET", "", NO_HEADERS)).isNull();
        assertThat(match("GET", null, NO_HEADERS)).isNull();
    }

    @Test
    void aRouteNamingAServiceByHostApplies() {
        // SHADOW_ROUTE names ratings by its host; its one rule has no matches, so everything matches
        RouteMatch m = TABLE.byKey("ratings.shop").match("PUT", "/whatever", NO_HEADERS);
        assertThat(m.routeName()).isEqualTo("shadow");
        assertThat(m.ruleName()).isEqualTo("everything");
        assertThat(m.cluster().name()).isEqualTo("reviews.shop");
    }

    @Test
    void withoutRouteTheCachedDefaultMatchIsReturned() {
        ServiceRoutes reviews = TABLE.byKey("reviews.shop");
        RouteMatch m = reviews.match("GET", "/x", NO_HEADERS);
        assertThat(m.routeName()).isEqualTo("default");
        assertThat(m.ruleName()).isEqualTo("default");
        assertThat(m.cluster()).isSameAs(reviews.defaultCluster());
        assertThat(reviews.match("POST", "/y?z", null)).isSameAs(m);
    }

    @Test
    void weightedSplitFollowsWeightsAndNeverPicksZeroWeight() {
        int picks = 20_000;
        Map<String, Integer> counts = new HashMap<>();
        Map<String, RouteMatch> instances = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            RouteMatch m = match("GET", "/split/x", NO_HEADERS);
            counts.merge(m.cluster().name(), 1, Integer::sum);
            RouteMatch earlier = instances.putIfAbsent(m.cluster().name(), m);
            if (earlier != null) {
                assertThat(m).isSameAs(earlier); // pre-built, not allocated per request
            }
        }
        assertThat(counts).containsOnlyKeys("payments.shop/v1", "payments.shop/v2");
        assertThat(counts.get("payments.shop/v1") / (double) picks).isBetween(0.87, 0.93);
        assertThat(counts.get("payments.shop/v2") / (double) picks).isBetween(0.07, 0.13);
    }

    @Test
    void ruleWithoutBackendsGoesToTheServiceItself() {
        Route r = route("r", List.of("reviews.shop"), rule("named-only", List.of()));
        RouteTable table = RouteTable.build(new Snapshot("v", null, List.of(REVIEWS), List.of(r)));
        RouteMatch m = table.byKey("reviews.shop").match("GET", "/", NO_HEADERS);
        assertThat(m.ruleName()).isEqualTo("named-only");
        assertThat(m.cluster()).isSameAs(table.byKey("reviews.shop").defaultCluster());
    }

    // ---- inconsistent snapshots ----

    @Test
    void rulesTheValidatorWouldRefuseAreRejected() {
        // Names, addresses and route claims are the mesh index's (MeshIndexTest): such a snapshot cannot be made.
        assertRejected(List.of(REVIEWS), List.of(route("r", List.of("reviews.shop"), rule("a", List.of(),
                to("missing.shop", null, 1)))), "missing.shop");
        assertRejected(List.of(REVIEWS), List.of(route("r", List.of("reviews.shop"), rule("a", List.of(),
                to("reviews.shop", "v7", 1)))), "v7");
        assertRejected(List.of(REVIEWS), List.of(route("r", List.of("reviews.shop"), rule("a", List.of(),
                to("reviews.shop", null, 0)))), "weight");
        assertRejected(List.of(REVIEWS), List.of(route("r", List.of("reviews.shop"),
                rule("a", List.of(path(Route.StringMatch.regex("/items/[0-9"))), to("reviews.shop", null, 1)))),
                "regex");
    }

    @Test
    void aVirtualAddressIsTheIndexsOneAddressWhateverItsSpelling() {
        Service spelled = service("spelled", "shop", Protocol.HTTP, List.of(), List.of("[FD00:0::77]:80"),
                List.of(), List.of());
        RouteTable table = RouteTable.build(new Snapshot("v", null, List.of(spelled), List.of()));
        assertThat(table.byAddress(new InetSocketAddress("fd00::77", 80))).isSameAs(table.byKey("spelled.shop"));
    }

    private static void assertRejected(List<Service> services, List<Route> routes, String messagePart) {
        Snapshot snapshot = new Snapshot("bad", null, services, routes);
        assertThatThrownBy(() -> RouteTable.build(snapshot))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(messagePart);
    }
}
