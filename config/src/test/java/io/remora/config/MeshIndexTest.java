package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The mesh index: what the validator's pass builds, what a snapshot carries, and what a snapshot made in code is
 * refused for (in the words the proxy's routing table used before it read the index).
 */
class MeshIndexTest {
    private static final String MESH = """
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: payments, namespace: shop}
            spec:
              hosts: [Pay.Example.COM:8443, fd00::99]
              addresses: ["[FD00:0::10]:80", 10.96.0.10:80]
              endpoints: [{address: 10.0.0.1:8080}]
            ---
            apiVersion: remora.io/v1
            kind: Service
            metadata: {name: reviews, namespace: shop}
            spec: {addresses: [10.96.0.11:80], endpoints: [{address: 10.0.0.2:8080}]}
            ---
            apiVersion: remora.io/v1
            kind: Route
            metadata: {name: by-host, namespace: shop}
            spec: {services: [pay.example.com:8443], rules: [{backends: [{service: payments.shop}]}]}
            ---
            apiVersion: remora.io/v1
            kind: Route
            metadata: {name: by-address, namespace: shop}
            spec: {services: [10.96.0.11:80], rules: [{backends: [{service: reviews.shop}]}]}
            """;

    private static Service service(String name, List<String> hosts, List<String> addresses) {
        return new Service(Metadata.of(name, "shop"), new Service.Spec(hosts,
                addresses.stream().map(HostPort::parse).toList(), null, List.of(), List.of(), null));
    }

    private static Route route(String name, String... services) {
        return new Route(Metadata.of(name, "shop"), new Route.Spec(List.of(services), List.of(
                new Route.Rule(null, List.of(), List.of(new Route.Backend(services[0], null, 1))))));
    }

    @Test
    void aLoadedSnapshotCarriesTheValidatorsIndex() throws Exception {
        Snapshot snapshot = ConfigLoader.parse("m.yaml", MESH, Map.of());
        MeshIndex mesh = snapshot.mesh();

        assertThat(mesh.services()).isSameAs(snapshot.services());
        assertThat(mesh.serviceKeysByName()).containsOnly(
                Map.entry(new Authority("payments.shop"), "payments.shop"),
                Map.entry(new Authority("payments.shop.svc"), "payments.shop"),
                Map.entry(new Authority("payments.shop.svc.cluster.local"), "payments.shop"),
                Map.entry(new Authority("pay.example.com"), "payments.shop"),
                Map.entry(new Authority("fd00::99"), "payments.shop"),
                Map.entry(new Authority("reviews.shop"), "reviews.shop"),
                Map.entry(new Authority("reviews.shop.svc"), "reviews.shop"),
                Map.entry(new Authority("reviews.shop.svc.cluster.local"), "reviews.shop"));
        assertThat(mesh.serviceKeysByAddress()).containsExactly(
                Map.entry(new HostPort("fd00:0:0:0:0:0:0:10", 80), "payments.shop"),
                Map.entry(new HostPort("10.96.0.10", 80), "payments.shop"),
                Map.entry(new HostPort("10.96.0.11", 80), "reviews.shop"));
        assertThat(mesh.routeOf("payments.shop").metadata().name()).isEqualTo("by-host");
        assertThat(mesh.routeOf("reviews.shop").metadata().name()).isEqualTo("by-address");
        assertThat(mesh.serviceKeyOf("payments.shop")).isEqualTo("payments.shop");
        assertThat(mesh.serviceKeyOf("PAY.example.com:8443")).isEqualTo("payments.shop");
        assertThat(mesh.serviceKeyOf("[fd00:0::10]:80")).isEqualTo("payments.shop");
        assertThat(mesh.serviceKeyOf("Payments.Shop")).isNull();
        assertThat(mesh.serviceKeyOf("pay.example.com")).isNull();
        assertThat(MeshIndex.of(snapshot.services(), snapshot.routes())).isEqualTo(mesh);
    }

    @Test
    void twoSpellingsOfOneVirtualAddressAreOneAddress() {
        String yaml = MESH.replace("addresses: [10.96.0.11:80]", "addresses: [10.96.0.11:80, \"[fd00::10]:80\"]");

        assertThat(Errors.of(yaml)).containsExactly(
                "s.yaml:12:35: spec.addresses[1]: got \"[fd00::10]:80\", which already names Service payments.shop"
                        + " at s.yaml:6:15; expected each host and address to name one Service");
    }

    @Test
    void aSnapshotMadeInCodeIsRefusedWhatTheValidatorWouldRefuse() {
        Service payments = service("payments", List.of("payments.example.com"), List.of("10.96.0.10:80"));
        assertRefused(List.of(payments, payments), List.of(), "service payments.shop is declared more than once");
        assertRefused(List.of(payments, service("other", List.of("PAYMENTS.example.com"), List.of())), List.of(),
                "host \"PAYMENTS.example.com\" is claimed by services payments.shop and other.shop");
        assertRefused(List.of(payments, service("other", List.of(), List.of("10.96.0.10:80"))), List.of(),
                "address 10.96.0.10:80 is claimed by services payments.shop and other.shop");
        assertRefused(List.of(payments, service("other", List.of("payments.shop.svc"), List.of())), List.of(),
                "host \"payments.shop.svc\" is claimed by services payments.shop and other.shop");
        assertRefused(List.of(service("bad", List.of("under_score"), List.of())), List.of(),
                "service bad.shop: invalid host \"under_score\"");
        assertRefused(List.of(payments), List.of(route("r", "nope.shop")),
                "route r.shop: spec.services names unknown service \"nope.shop\"");
        assertRefused(List.of(payments), List.of(route("r", "payments.shop"), route("s", "payments.example.com")),
                "route s.shop: service payments.shop is already routed by route r.shop");
    }

    @Test
    void aSnapshotCarriesOnlyTheIndexOfItsOwnServicesAndRoutes() {
        Service payments = service("payments", List.of(), List.of());
        MeshIndex other = MeshIndex.of(List.of(), List.of());

        assertThatThrownBy(() -> new Snapshot("v", null, List.of(payments), List.of(), List.of(), other))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not the one of these services and routes");
        Snapshot made = new Snapshot("v", null, List.of(payments), List.of());
        assertThat(made.with("v2", Sidecar.defaults()).mesh()).isSameAs(made.mesh());
        assertThat(made).isEqualTo(new Snapshot("v", null, List.of(payments), List.of()));
    }

    private static void assertRefused(List<Service> services, List<Route> routes, String message) {
        assertThatThrownBy(() -> new Snapshot("bad", null, services, routes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
