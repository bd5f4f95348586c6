package io.remora.config.testing;

import io.remora.config.ConfigException;
import io.remora.config.ConfigLoader;
import io.remora.config.Resource;
import io.remora.config.Snapshot;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The config of a test mesh, built in code instead of written out as YAML in every test: Sidecars, Services, Routes
 * and AuthorizationPolicies, as the YAML text a sidecar or the control plane reads ({@link #yaml()}) or as the
 * parsed {@link Snapshot}. A test names only what it is about; what every test sidecar has is filled in (one event
 * loop, no access log, admin, metrics and health on loopback port 0, listeners on loopback port 0).
 *
 * <p>The common fields have their own methods; any other field is set by its path in the spec with
 * {@link Node#set}, its value written as YAML (flow style for maps and lists: {@code "{maxRequests: 1}"}). Tests
 * whose point is the YAML text itself (positions in errors, what a parser accepts) keep their text.
 */
public final class TestMesh {
    /** Any free port on loopback: what a test's listeners bind. */
    public static final String ANY_PORT = "127.0.0.1:0";

    private final List<Part> parts = new ArrayList<>();

    private TestMesh() {
    }

    /** One piece of the mesh's text: one or more YAML documents. */
    @FunctionalInterface
    public interface Part {
        String yaml();
    }

    /** The mesh of these documents, in this order. */
    public static TestMesh of(Part... parts) {
        return new TestMesh().and(parts);
    }

    /** Adds documents after the ones the mesh has. */
    public TestMesh and(Part... more) {
        parts.addAll(Arrays.asList(more));
        return this;
    }

    /** Every document, {@code ---} between them. */
    public String yaml() {
        return parts.stream().map(p -> trimmed(p.yaml())).collect(Collectors.joining("---\n"));
    }

    /** The mesh parsed as one file would be. */
    public Snapshot snapshot() {
        return parse(yaml());
    }

    @Override
    public String toString() {
        return yaml();
    }

    /**
     * YAML text as a sidecar reads it from a file; a test config that does not load is a mistake in the test, so it
     * is thrown unchecked with the text.
     */
    public static Snapshot parse(String yaml) {
        try {
            return ConfigLoader.parse("test.yaml", yaml, Map.of());
        } catch (ConfigException e) {
            throw new IllegalArgumentException("test config does not load:\n" + e.getMessage() + "\n" + yaml, e);
        }
    }

    /** YAML documents as written, for text a test edits or whose layout matters. */
    public static Part raw(String yaml) {
        return () -> yaml;
    }

    /** A test sidecar: one event loop, no access log, admin, metrics and health on {@link #ANY_PORT}. */
    public static SidecarDoc sidecar(String name, String namespace) {
        return new SidecarDoc(name, namespace);
    }

    public static ServiceDoc service(String name, String namespace) {
        return new ServiceDoc(name, namespace);
    }

    public static RouteDoc route(String name, String namespace) {
        return new RouteDoc(name, namespace);
    }

    public static PolicyDoc policy(String name, String namespace) {
        return new PolicyDoc(name, namespace);
    }

    /** {@code 127.0.0.1:<port>}. */
    public static String loopback(int port) {
        return "127.0.0.1:" + port;
    }

    /** A flow-style YAML list: {@code [a, b]}. */
    public static String list(Object... items) {
        return Arrays.stream(items).map(TestMesh::scalar).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String trimmed(String yaml) {
        String t = yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
        return t.endsWith("\n") ? t : t + "\n";
    }

    /**
     * A value as YAML: addresses as {@code host:port} (a test server's loopback or wildcard address as
     * {@code 127.0.0.1:port}, where it is reached), the rest as text.
     */
    static String scalar(Object value) {
        if (value instanceof InetSocketAddress a) {
            boolean local = a.getAddress() != null
                    && (a.getAddress().isLoopbackAddress() || a.getAddress().isAnyLocalAddress());
            return local ? loopback(a.getPort()) : a.getHostString() + ":" + a.getPort();
        }
        return String.valueOf(value);
    }

    // ---- the tree of fields ---------------------------------------------------------------------------------

    /**
     * A YAML map built field by field. Values are a nested {@link Node}, a list (of nodes or values) or a value
     * written as it is ({@link #scalar}).
     */
    public abstract static class Node<SELF extends Node<SELF>> {
        private final Map<String, Object> fields = new LinkedHashMap<>();

        @SuppressWarnings("unchecked")
        private SELF self() {
            return (SELF) this;
        }

        /** Sets the field at a dotted path ({@code limits.maxHeaderBytes}), creating the maps on the way. */
        public SELF set(String path, Object value) {
            String[] keys = path.split("\\.");
            parent(keys).put(keys[keys.length - 1], value(value));
            return self();
        }

        /** Appends to the list at a dotted path, creating it. */
        @SuppressWarnings("unchecked")
        public SELF add(String path, Object item) {
            String[] keys = path.split("\\.");
            Object list = parent(keys).computeIfAbsent(keys[keys.length - 1], k -> new ArrayList<>());
            if (!(list instanceof List)) {
                throw new IllegalStateException(path + " is not a list");
            }
            ((List<Object>) list).add(value(item));
            return self();
        }

        /** Removes the field at a dotted path, so the config's default applies. */
        public SELF remove(String path) {
            String[] keys = path.split("\\.");
            parent(keys).remove(keys[keys.length - 1]);
            return self();
        }

        @SuppressWarnings("unchecked")
        private Map<String, Object> parent(String[] keys) {
            Map<String, Object> map = fields;
            for (int i = 0; i < keys.length - 1; i++) {
                Object child = map.computeIfAbsent(keys[i], k -> new Fields());
                if (!(child instanceof Node)) {
                    throw new IllegalStateException(keys[i] + " is already set to " + child);
                }
                map = ((Node<?>) child).fields;
            }
            return map;
        }

        private static Object value(Object v) {
            if (v instanceof Node || v instanceof List) {
                return v;
            }
            return scalar(v);
        }

        boolean isEmpty() {
            return fields.isEmpty();
        }

        /** Block-style YAML of the fields, each line indented by {@code indent} spaces. */
        void write(StringBuilder out, int indent) {
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                out.append(" ".repeat(indent)).append(e.getKey()).append(':');
                writeValue(out, e.getValue(), indent);
            }
        }

        private static void writeValue(StringBuilder out, Object value, int indent) {
            if (value instanceof Node<?> node) {
                if (node.isEmpty()) {
                    out.append(" {}\n");
                } else {
                    out.append('\n');
                    node.write(out, indent + 2);
                }
            } else if (value instanceof List<?> list) {
                if (list.isEmpty()) {
                    out.append(" []\n");
                    return;
                }
                out.append('\n');
                for (Object item : list) {
                    writeItem(out, item, indent + 2);
                }
            } else {
                out.append(' ').append(value).append('\n');
            }
        }

        /** {@code - value}, or a map whose first field follows the dash and the others line up under it. */
        private static void writeItem(StringBuilder out, Object item, int indent) {
            if (item instanceof Node<?> node && !node.isEmpty()) {
                StringBuilder map = new StringBuilder();
                node.write(map, indent + 2);
                out.append(" ".repeat(indent)).append("- ").append(map, indent + 2, map.length());
            } else if (item instanceof Node) {
                out.append(" ".repeat(indent)).append("- {}\n");
            } else {
                out.append(" ".repeat(indent)).append("- ").append(item).append('\n');
            }
        }
    }

    /** A map of fields with nothing of its own: an endpoint, an upstream, a nested part of a spec. */
    public static final class Fields extends Node<Fields> {
    }

    /** Fields given as a lambda over a fresh map. */
    static Fields fields(Consumer<Fields> fill) {
        Fields f = new Fields();
        fill.accept(f);
        return f;
    }

    /** One resource: {@code apiVersion}, {@code kind}, {@code metadata} and the spec this node holds. */
    public abstract static class Document<SELF extends Document<SELF>> extends Node<SELF> implements Part {
        private final String kind;
        private final String name;
        private final String namespace;

        Document(String kind, String name, String namespace) {
            this.kind = kind;
            this.name = name;
            this.namespace = namespace;
        }

        private String labels;

        /** The resource's {@code metadata.labels}, as a YAML flow map ({@code {app: hello, version: v1}}). */
        @SuppressWarnings("unchecked")
        public SELF labels(String flow) {
            this.labels = flow;
            return (SELF) this;
        }

        @Override
        public String yaml() {
            StringBuilder out = new StringBuilder("apiVersion: ").append(Resource.API_VERSION).append("\nkind: ")
                    .append(kind).append("\nmetadata: {name: ").append(name);
            if (namespace != null) {
                out.append(", namespace: ").append(namespace);
            }
            if (labels != null) {
                out.append(", labels: ").append(labels);
            }
            out.append("}\nspec:");
            if (isEmpty()) {
                out.append(" {}\n");
            } else {
                out.append('\n');
                write(out, 2);
            }
            return out.toString();
        }

        /** This document alone, parsed. */
        public Snapshot snapshot() {
            return parse(yaml());
        }

        @Override
        public String toString() {
            return yaml();
        }
    }

    /** A Sidecar. */
    public static final class SidecarDoc extends Document<SidecarDoc> {
        SidecarDoc(String name, String namespace) {
            super("Sidecar", name, namespace);
            set("threads", 1).set("accessLog", false).set("admin", ANY_PORT).set("metrics", ANY_PORT)
                    .set("health", ANY_PORT);
        }

        public SidecarDoc workload(String workload) {
            return set("workload", workload);
        }

        public SidecarDoc threads(int threads) {
            return set("threads", threads);
        }

        public SidecarDoc accessLog(boolean on) {
            return set("accessLog", on);
        }

        /** The access log on, writing these fields (JSON names or Envoy operators), each quoted. */
        public SidecarDoc accessLogFields(String... names) {
            return accessLog(true).set("accessLogFields",
                    list(Arrays.stream(names).map(n -> "'" + n + "'").toArray()));
        }

        /** An inbound listener on {@link #ANY_PORT} in front of the app at {@code app}. */
        public SidecarDoc inbound(Object app) {
            return set("inbound.listen", ANY_PORT).set("inbound.app", app);
        }

        /** An inbound listener on {@link #ANY_PORT} in front of the app at {@code app}, speaking {@code protocol}. */
        public SidecarDoc inbound(Object app, String appProtocol) {
            return inbound(app).set("inbound.appProtocol", appProtocol);
        }

        /** An upstream listener on {@link #ANY_PORT} for the service {@code name.namespace}. */
        public SidecarDoc upstream(String service) {
            return upstream(ANY_PORT, service);
        }

        public SidecarDoc upstream(Object listen, String service) {
            return add("outbound.upstreams", fields(u -> u.set("listen", listen).set("service", service)));
        }

        /** The transparent outbound capture listener, on {@code listen}. */
        public SidecarDoc capture(Object listen) {
            return set("outbound.capture.enabled", true).set("outbound.capture.listen", listen);
        }

        /** The {@code mtls} block, in flow style ({@code {mode: STRICT, ...}}). */
        public SidecarDoc mtls(String flow) {
            return set("mtls", flow);
        }

        /** Configured by the control plane at {@code address}. */
        public SidecarDoc controlPlane(Object address, Object tokenFile, Object trustBundle, Object stateDir) {
            return set("controlPlane.address", address).set("controlPlane.tokenFile", tokenFile)
                    .set("controlPlane.trustBundle", trustBundle).set("controlPlane.stateDir", stateDir);
        }
    }

    /** A Service. */
    public static final class ServiceDoc extends Document<ServiceDoc> {
        ServiceDoc(String name, String namespace) {
            super("Service", name, namespace);
        }

        public ServiceDoc protocol(String protocol) {
            return set("protocol", protocol);
        }

        public ServiceDoc hosts(String... hosts) {
            return set("hosts", list((Object[]) hosts));
        }

        /** Virtual addresses ({@code ip:port}) the app may dial. */
        public ServiceDoc addresses(String... addresses) {
            return set("addresses", list((Object[]) addresses));
        }

        /** One endpoint per address. */
        public ServiceDoc endpoints(Object... addresses) {
            for (Object a : addresses) {
                endpoint(a);
            }
            return this;
        }

        public ServiceDoc endpoint(Object address) {
            return endpoint(address, e -> { });
        }

        /** An endpoint with more fields: {@code e -> e.set("labels", "{version: v1}").set("identity", id)}. */
        public ServiceDoc endpoint(Object address, Consumer<Fields> more) {
            return add("endpoints", fields(e -> more.accept(e.set("address", address))));
        }

        /** The subset {@code name}: endpoints whose labels include {@code labels} (flow style). */
        public ServiceDoc subset(String name, String labels) {
            return add("subsets", fields(s -> s.set("name", name).set("labels", labels)));
        }

        /** {@code spec.trafficPolicy}, in flow style. */
        public ServiceDoc trafficPolicy(String flow) {
            return set("trafficPolicy", flow);
        }
    }

    /** A Route. */
    public static final class RouteDoc extends Document<RouteDoc> {
        RouteDoc(String name, String namespace) {
            super("Route", name, namespace);
        }

        /** The services ({@code name.namespace}) or hosts it applies to. */
        public RouteDoc services(String... services) {
            return set("services", list((Object[]) services));
        }

        /** Appends a rule. */
        public RouteDoc rule(Consumer<Rule> rule) {
            Rule r = new Rule();
            rule.accept(r);
            return add("rules", r);
        }
    }

    /** One rule of a Route. */
    public static final class Rule extends Node<Rule> {
        public Rule name(String name) {
            return set("name", name);
        }

        /** A match, in flow style: {@code "{path: {prefix: /v1}}"}. */
        public Rule match(String flow) {
            return add("matches", flow);
        }

        /** All of the service's endpoints. */
        public Rule backend(String service) {
            return add("backends", fields(b -> b.set("service", service)));
        }

        /** All of the service's endpoints, with this share of the requests. */
        public Rule backend(String service, int weight) {
            return add("backends", fields(b -> b.set("service", service).set("weight", weight)));
        }

        /** The endpoints of one subset. */
        public Rule backend(String service, String subset) {
            return add("backends", fields(b -> b.set("service", service).set("subset", subset)));
        }

        public Rule backend(String service, String subset, int weight) {
            return add("backends", fields(b -> b.set("service", service).set("subset", subset).set("weight", weight)));
        }
    }

    /** An AuthorizationPolicy. */
    public static final class PolicyDoc extends Document<PolicyDoc> {
        PolicyDoc(String name, String namespace) {
            super("AuthorizationPolicy", name, namespace);
        }

        public PolicyDoc workloads(String... workloads) {
            return set("workloads", list((Object[]) workloads));
        }

        public PolicyDoc action(String action) {
            return set("action", action);
        }

        /** Appends a rule, in flow style: {@code "{from: {namespaces: [shop]}}"}. */
        public PolicyDoc rule(String flow) {
            return add("rules", flow);
        }
    }
}
