package io.remora.proxy.route;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.remora.config.Authority;
import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.HostPort;
import io.remora.config.MeshIndex;
import io.remora.config.Route;
import io.remora.config.Snapshot;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Any snapshot the validator accepts applies: meshes drawn at random from names, hosts, addresses, references and
 * backends that collide, differ only in spelling or are wrong, and every one that loads builds a routing table that
 * answers each name and virtual address of its mesh index with the service the index says.
 */
class ValidatedSnapshotsApplyTest {
    private static final List<String> SERVICES = List.of("a.shop", "b.shop", "c.data");
    private static final List<String> HOSTS = List.of("x.example", "X.Example:8080", "x.example.", "y.example",
            "fd00::1", "[fd00::1]:80", "10.0.0.9", "a.shop", "b.shop.svc", "c.data.svc.cluster.local", "bad_host",
            "[fd00::1]", "y.example:0");
    private static final List<String> ADDRESSES = List.of("10.96.0.1:80", "\"[fd00::10]:80\"", "\"[FD00:0::10]:80\"",
            "\"[::ffff:10.96.0.1]:80\"", "10.96.0.2:80", "127.0.0.1:81", "\"[::ffff:127.0.0.1]:81\"");
    private static final List<String> REFERENCES = List.of("a.shop", "b.shop", "c.data", "A.Shop", "x.example",
            "X.EXAMPLE:8080", "y.example", "10.96.0.1:80", "\"[fd00::10]:80\"", "a.shop.svc", "nope.shop",
            "fd00::1");
    private static final List<String> IDENTITIES = List.of("spiffe://cluster.local/ns/shop/sa/a",
            "spiffe://Cluster.Local/ns/shop/sa/a", "spiffe://cluster.local/ns/a b", "spiffe://td");
    private static final List<Integer> WEIGHTS = List.of(0, 1, 5, Integer.MAX_VALUE);

    @Test
    void everyValidatedSnapshotBuildsATableThatAgreesWithItsIndex() {
        Random random = new Random(20240611);
        int applied = 0;
        for (int i = 0; i < 500; i++) {
            String yaml = mesh(random);
            Snapshot snapshot;
            try {
                snapshot = ConfigLoader.parse("m.yaml", yaml, Map.of());
            } catch (ConfigException refused) {
                continue;
            }
            applied++;
            assertThatCode(() -> agrees(RouteTable.build(snapshot), snapshot.mesh())).as(yaml)
                    .doesNotThrowAnyException();
        }
        // Enough of them load to mean something, and enough are refused to have tried the collisions.
        assertThat(applied).isBetween(50, 450);
    }

    private static void agrees(RouteTable table, MeshIndex mesh) {
        for (Map.Entry<Authority, String> name : mesh.serviceKeysByName().entrySet()) {
            assertThat(table.byAuthority(name.getKey().host())).as(name.getKey().host())
                    .isSameAs(table.byKey(name.getValue()));
        }
        for (Map.Entry<HostPort, String> vip : mesh.serviceKeysByAddress().entrySet()) {
            InetSocketAddress address = new InetSocketAddress(vip.getKey().host(), vip.getKey().port());
            assertThat(table.byAddress(address)).as(vip.getKey().toString()).isSameAs(table.byKey(vip.getValue()));
        }
        for (var service : mesh.services()) {
            Route route = mesh.routeOf(service.key());
            RouteMatch match = table.byKey(service.key()).match("GET", "/", new DefaultHttpHeaders());
            if (route == null) {
                assertThat(match.routeName()).isEqualTo("default");
            } else if (match != null) {
                assertThat(match.routeName()).isEqualTo(route.metadata().name());
            }
        }
    }

    private static String mesh(Random random) {
        StringBuilder yaml = new StringBuilder();
        for (String key : SERVICES) {
            if (random.nextInt(4) == 0) {
                continue;
            }
            String[] nameNamespace = key.split("\\.");
            yaml.append("---\napiVersion: remora.io/v1\nkind: Service\nmetadata: {name: ").append(nameNamespace[0])
                    .append(", namespace: ").append(nameNamespace[1]).append("}\nspec:\n");
            String own = nameNamespace[0];
            yaml.append("  hosts: [").append(some(random, own + ".example", HOSTS, 3)).append("]\n");
            yaml.append("  addresses: [").append(some(random, "10.96.1." + (SERVICES.indexOf(key) + 1) + ":80",
                    ADDRESSES, 2)).append("]\n");
            yaml.append("  endpoints:\n");
            int endpoints = 1 + random.nextInt(2);
            for (int e = 0; e < endpoints; e++) {
                yaml.append("    - {address: 127.0.").append(SERVICES.indexOf(key)).append('.').append(e + 1)
                        .append(":8080, labels: {version: v").append(e + 1).append('}');
                if (random.nextInt(3) == 0) {
                    yaml.append(", identity: \"").append(mostly(random, IDENTITIES.get(0), IDENTITIES)).append('"');
                }
                yaml.append("}\n");
            }
            yaml.append("  subsets: [{name: v1, labels: {version: v1}}]\n");
        }
        int routes = random.nextInt(4);
        for (int r = 0; r < routes; r++) {
            yaml.append("---\napiVersion: remora.io/v1\nkind: Route\nmetadata: {name: r").append(r)
                    .append(", namespace: shop}\nspec:\n  services: [").append(some(random, SERVICES.get(r), REFERENCES, 2))
                    .append("]\n  rules:\n");
            int rules = 1 + random.nextInt(2);
            for (int u = 0; u < rules; u++) {
                yaml.append("    - matches: [{path: {").append(random.nextInt(20) == 0 ? "regex: \"(a\"" : "prefix: /")
                        .append("}}]\n      backends:\n");
                int backends = 1 + random.nextInt(2);
                for (int b = 0; b < backends; b++) {
                    yaml.append("        - {service: ").append(pick(random, SERVICES));
                    if (random.nextBoolean()) {
                        yaml.append(", subset: ").append(random.nextInt(10) == 0 ? "v9" : "v1");
                    }
                    yaml.append(", weight: ").append(mostly(random, 1, WEIGHTS)).append("}\n");
                }
            }
        }
        return yaml.toString();
    }

    /** Up to {@code most} entries, each mostly {@code usual}, else any of {@code pool}. */
    private static String some(Random random, String usual, List<String> pool, int most) {
        int n = random.nextInt(most + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ").append(mostly(random, usual, pool));
        }
        return sb.toString();
    }

    /** Three times in four {@code usual}, else any of {@code pool}. */
    private static <T> T mostly(Random random, T usual, List<T> pool) {
        return random.nextInt(4) != 0 ? usual : pick(random, pool);
    }

    private static <T> T pick(Random random, List<T> pool) {
        return pool.get(random.nextInt(pool.size()));
    }
}
