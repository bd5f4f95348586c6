package io.remora.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The mesh the benchmark serves, as YAML files in the control plane's watched directory: {@code reviews.bench} (three
 * endpoints, subsets v1 and v2) with a weighted Route, {@code extra} other services, and one AuthorizationPolicy
 * for every workload of namespace {@code bench}. A route change rewrites only the Route file.
 */
final class MeshFiles {
    static final String NAMESPACE = "bench";
    static final String CALLED = "reviews." + NAMESPACE;
    static final String ROUTE_FILE = "20-route.yaml";

    private MeshFiles() {
    }

    static void write(Path dir, int extra) throws IOException {
        Files.createDirectories(dir);
        StringBuilder services = new StringBuilder("""
                apiVersion: remora.io/v1
                kind: Service
                metadata: {name: reviews, namespace: bench}
                spec:
                  endpoints:
                    - {address: 10.0.0.1:9080, labels: {version: v1}, identity: spiffe://cluster.local/ns/bench/sa/reviews}
                    - {address: 10.0.0.2:9080, labels: {version: v2}, identity: spiffe://cluster.local/ns/bench/sa/reviews}
                    - {address: 10.0.0.3:9080, labels: {version: v2}, identity: spiffe://cluster.local/ns/bench/sa/reviews}
                  subsets:
                    - {name: v1, labels: {version: v1}}
                    - {name: v2, labels: {version: v2}}
                """);
        for (int i = 0; i < extra; i++) {
            services.append("""
                    ---
                    apiVersion: remora.io/v1
                    kind: Service
                    metadata: {name: svc-%1$d, namespace: bench}
                    spec:
                      endpoints:
                        - {address: 10.1.%1$d.1:8080, identity: spiffe://cluster.local/ns/bench/sa/svc-%1$d}
                        - {address: 10.1.%1$d.2:8080, identity: spiffe://cluster.local/ns/bench/sa/svc-%1$d}
                        - {address: 10.1.%1$d.3:8080, identity: spiffe://cluster.local/ns/bench/sa/svc-%1$d}
                    """.formatted(i));
        }
        Files.writeString(dir.resolve("10-services.yaml"), services, StandardCharsets.UTF_8);
        writeRoute(dir, 90, 10);
        Files.writeString(dir.resolve("30-policy.yaml"), """
                apiVersion: remora.io/v1
                kind: AuthorizationPolicy
                metadata: {name: bench-callers, namespace: bench}
                spec:
                  rules: [{from: {namespaces: [bench]}}]
                """, StandardCharsets.UTF_8);
    }

    /** Replaces the Route file in one rename, so the control plane never reads half of it. */
    static void writeRoute(Path dir, int v1, int v2) throws IOException {
        Path tmp = dir.resolve(".route.tmp");
        Files.writeString(tmp, """
                apiVersion: remora.io/v1
                kind: Route
                metadata: {name: reviews, namespace: bench}
                spec:
                  services: [reviews.bench]
                  rules:
                    - name: split
                      backends:
                        - {service: reviews.bench, subset: v1, weight: %d}
                        - {service: reviews.bench, subset: v2, weight: %d}
                """.formatted(v1, v2), StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(ROUTE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
