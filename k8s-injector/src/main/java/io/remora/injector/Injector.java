package io.remora.injector;

import io.remora.config.Durations;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The one pod mutation both the admission webhook and {@code remora inject} use, so they cannot disagree: a pod (a
 * JSON tree, so fields the injector does not know survive untouched) and its context in, the injected pod out. Pure:
 * no I/O, no clock, no randomness; the same input always gives the same tree. The webhook's JSON Patch is the diff
 * of input and output ({@link AdmissionReviews}), never assembled by hand.
 *
 * <p>What an injected pod gets is written down in docs/ARCHITECTURE.md ("Sidecar injection"): the interception init
 * container {@code remora-init}, the proxy {@code remora-proxy} (a native sidecar unless
 * {@code remora.io/native-sidecar: "false"}), three volumes, app probes rewritten to the proxy's health port, the
 * label {@code security.remora.io/tlsMode: remora} and the annotations {@code remora.io/status},
 * {@code kubectl.kubernetes.io/default-container} and {@code prometheus.io/*}.
 */
public final class Injector {
    public static final String PROXY = "remora-proxy";
    public static final String INIT = "remora-init";
    static final String TOKEN_VOLUME = "remora-token";
    static final String CA_VOLUME = "remora-ca-root-cert";
    static final String STATE_VOLUME = "remora-state";
    /** Writable /tmp under a read-only root: Netty unpacks its epoll and BoringSSL natives there. */
    static final String TMP_VOLUME = "remora-tmp";
    static final String TOKEN_DIR = "/var/run/secrets/remora/tokens";
    static final String CA_DIR = "/var/run/remora/ca";
    static final String STATE_DIR = "/var/lib/remora";
    static final int PROXY_UID = 1337;
    static final int INBOUND_CAPTURE_PORT = 15006;
    static final int OUTBOUND_CAPTURE_PORT = 15001;
    static final int METRICS_PORT = 15020;
    static final int HEALTH_PORT = 15021;
    static final String APP_PROBES_ENV = "REMORA_APP_PROBES";
    /** Never injected: the cluster's own machinery (Istio and Linkerd skip them too). */
    static final Set<String> SYSTEM_NAMESPACES = Set.of("kube-system", "kube-public", "kube-node-lease");
    /** Kubernetes' default when a pod does not set terminationGracePeriodSeconds. */
    static final long DEFAULT_GRACE_SECONDS = 30;
    private static final String JAVA = "/opt/remora/jre/bin/java";
    /**
     * The image's JVM flags, as its entrypoint names them: a file the image's build writes for the runtime it ships
     * (on JDK 25, bin/remora's defaults and the ahead-of-time cache), so that the hook starts as fast as the proxy.
     */
    private static final String JVM_OPTIONS = "@/opt/remora/jvm.options";
    private static final String[] PROBES = {"readinessProbe", "readyz", "livenessProbe", "livez",
            "startupProbe", "startupz"};

    private final MeshSettings mesh;

    public Injector(MeshSettings mesh) {
        this.mesh = Objects.requireNonNull(mesh, "mesh");
    }

    public MeshSettings mesh() {
        return mesh;
    }

    /** Injects the sidecar into {@code pod} (a Pod or a pod template: metadata and spec), or says why not. */
    public Injection inject(JsonNode pod, PodContext context) {
        if (!(pod instanceof ObjectNode) || !(pod.get("spec") instanceof ObjectNode spec)) {
            return unchanged(pod, "not a pod: no spec");
        }
        JsonNode containers = spec.get("containers");
        if (containers == null || !containers.isArray() || containers.isEmpty()) {
            return unchanged(pod, "the pod has no containers");
        }
        Map<String, String> labels = Json.strings(pod.path("metadata").get("labels"));
        Map<String, String> annotations = Json.strings(pod.path("metadata").get("annotations"));
        String podOptIn = labels.get(Annotations.INJECT);
        if ("false".equals(podOptIn)) {
            return unchanged(pod, "opted out: the pod's label " + Annotations.INJECT + " is \"false\"");
        }
        if (!"true".equals(podOptIn) && !"enabled".equals(context.namespaceLabels().get(Annotations.INJECT))) {
            return unchanged(pod, "not opted in: neither the namespace label " + Annotations.INJECT
                    + "=enabled nor the pod label " + Annotations.INJECT + "=\"true\"");
        }
        if (isInjected(pod)) {
            return unchanged(pod, "already injected");
        }
        String namespace = context.namespace().isEmpty() ? Json.text(pod.path("metadata"), "namespace")
                : context.namespace();
        if (SYSTEM_NAMESPACES.contains(namespace)) {
            return skipped(pod, "namespace " + namespace + " is never injected");
        }
        if (spec.path("hostNetwork").asBoolean(false)) {
            return skipped(pod, "hostNetwork: the pod shares the node's network, so its traffic cannot be captured");
        }
        long grace = spec.has("terminationGracePeriodSeconds")
                ? spec.get("terminationGracePeriodSeconds").asLong(DEFAULT_GRACE_SECONDS) : DEFAULT_GRACE_SECONDS;
        PodOverrides o = PodOverrides.of(annotations, mesh).withGracePeriod(grace);
        return injected((ObjectNode) pod.deepCopy(), o, labels, annotations, context.workload());
    }

    private Injection injected(ObjectNode pod, PodOverrides o, Map<String, String> labels,
                               Map<String, String> annotations, String workloadHint) {
        ObjectNode spec = (ObjectNode) pod.get("spec");
        ArrayNode containers = (ArrayNode) spec.get("containers");
        List<String> warnings = new ArrayList<>(o.warnings());
        String firstApp = Json.text(containers.get(0), "name");

        Map<String, JsonNode> appProbes = new TreeMap<>();
        if (o.rewriteAppProbes()) {
            for (JsonNode c : containers) {
                rewriteProbes((ObjectNode) c, appProbes, warnings);
            }
        }
        List<String> ports = inboundPorts(containers, o.excludeInboundPorts());
        String workload = workloadHint != null && !workloadHint.isEmpty() ? workloadHint : workload(pod, labels);

        ObjectNode proxy = proxyContainer(o, ports, workload, labels, appProbes);
        ObjectNode init = initContainer(o, ports);
        ArrayNode initContainers = Json.arr(spec, "initContainers");
        initContainers.insert(0, init);
        if (o.nativeSidecar()) {
            // After remora-init (the rules are in place), before the user's init containers (they get the network).
            initContainers.insert(1, proxy);
        } else {
            containers.insert(0, proxy);
        }
        ArrayNode volumes = Json.arr(spec, "volumes");
        volumes.add(Json.object("name", TOKEN_VOLUME, "projected", Json.object("sources", Json.array(
                Json.object("serviceAccountToken", Json.object("audience", "remora",
                        "expirationSeconds", 43200, "path", "remora-token"))))));
        volumes.add(Json.object("name", CA_VOLUME, "configMap", Json.object("name", "remora-ca-root-cert")));
        volumes.add(Json.object("name", STATE_VOLUME, "emptyDir", Json.object()));
        volumes.add(Json.object("name", TMP_VOLUME, "emptyDir", Json.object()));

        ObjectNode metadata = Json.obj(pod, "metadata");
        ObjectNode labelsNode = Json.obj(metadata, "labels");
        List<String> addedLabels = new ArrayList<>();
        if (!labels.containsKey(Annotations.TLS_MODE)) {
            addedLabels.add(Annotations.TLS_MODE);
        }
        labelsNode.put(Annotations.TLS_MODE, Annotations.TLS_MODE_VALUE);
        ObjectNode annotationsNode = Json.obj(metadata, "annotations");
        List<String> added = new ArrayList<>();
        if (!annotations.containsKey(Annotations.DEFAULT_CONTAINER)) {
            annotationsNode.put(Annotations.DEFAULT_CONTAINER, firstApp);
            added.add(Annotations.DEFAULT_CONTAINER);
        }
        // A pod that scrapes itself keeps its own prometheus.io settings (all three go together).
        if (annotations.keySet().stream().noneMatch(k -> k.startsWith("prometheus.io/"))) {
            annotationsNode.put(Annotations.PROMETHEUS_SCRAPE, "true");
            annotationsNode.put(Annotations.PROMETHEUS_PORT, String.valueOf(METRICS_PORT));
            annotationsNode.put(Annotations.PROMETHEUS_PATH, "/stats/prometheus");
            added.addAll(List.of(Annotations.PROMETHEUS_SCRAPE, Annotations.PROMETHEUS_PORT,
                    Annotations.PROMETHEUS_PATH));
        }
        ObjectNode status = Json.object("version", mesh.version(),
                "mode", o.nativeSidecar() ? "native" : "classic",
                "initContainers", o.nativeSidecar() ? List.of(INIT, PROXY) : List.of(INIT),
                "containers", o.nativeSidecar() ? List.of() : List.of(PROXY),
                "volumes", List.of(TOKEN_VOLUME, CA_VOLUME, STATE_VOLUME, TMP_VOLUME),
                "labels", addedLabels, "annotations", added);
        if (!warnings.isEmpty()) {
            status.set("warnings", Json.array(warnings.toArray()));
        }
        annotationsNode.put(Annotations.STATUS, status.toString());
        String reason = "injected " + PROXY + " (" + (o.nativeSidecar() ? "native sidecar" : "classic sidecar") + ")";
        return new Injection(Injection.Outcome.INJECTED, pod, reason, warnings);
    }

    private ObjectNode proxyContainer(PodOverrides o, List<String> ports, String workload, Map<String, String> labels,
                                      Map<String, JsonNode> appProbes) {
        ArrayNode env = Json.array(
                fieldEnv("POD_NAME", "metadata.name"),
                fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                fieldEnv("INSTANCE_IP", "status.podIP"),
                fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
                env("REMORA_WORKLOAD", workload),
                env("REMORA_CANONICAL_NAME", first(labels, workload, "service.istio.io/canonical-name",
                        "app.kubernetes.io/name", "app")),
                env("REMORA_CANONICAL_REVISION", first(labels, "latest", "service.istio.io/canonical-revision",
                        "app.kubernetes.io/version", "version")),
                env("REMORA_CONTROL_PLANE_ADDRESS", mesh.controlPlaneAddress()),
                env("REMORA_CONTROL_PLANE_TOKEN_FILE", TOKEN_DIR + "/remora-token"),
                env("REMORA_CONTROL_PLANE_TRUST_BUNDLE", CA_DIR + "/root-cert.pem"),
                env("REMORA_CONTROL_PLANE_STATE_DIR", STATE_DIR),
                env("REMORA_INBOUND_PORTS", String.join(",", ports)),
                env("REMORA_DRAIN_TIME", Durations.format(o.drainTime())),
                env("REMORA_LOG_LEVEL", o.logLevel()));
        // Only what the mesh or the pod set: an unset one leaves the proxy's default (no collector: tracing off).
        if (o.tracing().collector() != null) {
            env.add(env("REMORA_TRACING_COLLECTOR", o.tracing().collector()));
        }
        if (o.tracing().sampling() != null) {
            env.add(env("REMORA_TRACING_SAMPLING", o.tracing().sampling()));
        }
        if (o.transport() != null) {
            env.add(env("REMORA_TRANSPORT", o.transport()));
        }
        if (!appProbes.isEmpty()) {
            ObjectNode probes = Json.object();
            appProbes.forEach(probes::set);
            env.add(env(APP_PROBES_ENV, probes.toString()));
        }
        ObjectNode c = Json.object("name", PROXY, "image", mesh.image(), "imagePullPolicy", mesh.imagePullPolicy(),
                "args", List.of("proxy", "--kubernetes"),
                "restartPolicy", o.nativeSidecar() ? "Always" : null,
                "ports", Json.array(
                        Json.object("name", "http-metrics", "containerPort", METRICS_PORT, "protocol", "TCP"),
                        Json.object("name", "health", "containerPort", HEALTH_PORT, "protocol", "TCP")),
                "env", env,
                "resources", resources(o.resources()),
                "securityContext", Json.object("runAsUser", PROXY_UID, "runAsGroup", PROXY_UID,
                        "runAsNonRoot", true, "readOnlyRootFilesystem", true, "allowPrivilegeEscalation", false,
                        "capabilities", Json.object("drop", List.of("ALL"))),
                "startupProbe", healthProbe("/healthz/ready", 1, 600),
                "readinessProbe", healthProbe("/healthz/ready", 2, 3),
                "livenessProbe", healthProbe("/healthz/live", 5, 3),
                "volumeMounts", Json.array(
                        Json.object("name", TOKEN_VOLUME, "mountPath", TOKEN_DIR, "readOnly", true),
                        Json.object("name", CA_VOLUME, "mountPath", CA_DIR, "readOnly", true),
                        Json.object("name", STATE_VOLUME, "mountPath", STATE_DIR),
                        Json.object("name", TMP_VOLUME, "mountPath", "/tmp")));
        if (!o.nativeSidecar()) {
            // Kubernetes starts the next container only once postStart returns: the app waits for a ready proxy.
            c.set("lifecycle", Json.object("postStart", Json.object("exec", Json.object("command", List.of(
                    JAVA, JVM_OPTIONS, "-Xmx16m", "-cp", "/opt/remora/remora.jar",
                    "io.remora.launcher.Remora", "wait", "--ready")))));
        }
        return c;
    }

    private ObjectNode initContainer(PodOverrides o, List<String> ports) {
        List<String> excludeInbound = new ArrayList<>(List.of(String.valueOf(METRICS_PORT),
                String.valueOf(HEALTH_PORT)));
        o.excludeInboundPorts().forEach(p -> excludeInbound.add(String.valueOf(p)));
        String inbound = ports.stream().map(p -> p.substring(0, p.indexOf('/'))).collect(Collectors.joining(","));
        return Json.object("name", INIT, "image", mesh.image(), "imagePullPolicy", mesh.imagePullPolicy(),
                "args", List.of("init",
                        "--inbound-ports", inbound,
                        "--exclude-inbound-ports", String.join(",", excludeInbound),
                        "--exclude-outbound-ports", o.excludeOutboundPorts().stream().map(String::valueOf)
                                .collect(Collectors.joining(",")),
                        "--exclude-outbound-cidrs", String.join(",", o.excludeOutboundCidrs()),
                        "--include-outbound-cidrs", o.includeOutboundCidrs().isEmpty() ? "*"
                                : String.join(",", o.includeOutboundCidrs()),
                        "--proxy-uid", String.valueOf(PROXY_UID), "--proxy-gid", String.valueOf(PROXY_UID),
                        "--inbound-port", String.valueOf(INBOUND_CAPTURE_PORT),
                        "--outbound-port", String.valueOf(OUTBOUND_CAPTURE_PORT)),
                "resources", resources(MeshSettings.Resources.INIT_DEFAULT),
                "securityContext", Json.object("runAsUser", 0, "runAsGroup", 0, "runAsNonRoot", false,
                        "privileged", false, "readOnlyRootFilesystem", true, "allowPrivilegeEscalation", false,
                        "capabilities", Json.object("add", List.of("NET_ADMIN", "NET_RAW"), "drop", List.of("ALL"))));
    }

    private static ObjectNode resources(MeshSettings.Resources r) {
        return Json.object("requests", Json.object("cpu", r.cpuRequest(), "memory", r.memoryRequest()),
                "limits", Json.object("cpu", r.cpuLimit(), "memory", r.memoryLimit()));
    }

    private static ObjectNode healthProbe(String path, int period, int failures) {
        return Json.object("httpGet", Json.object("path", path, "port", HEALTH_PORT, "scheme", "HTTP"),
                "periodSeconds", period, "timeoutSeconds", 1, "failureThreshold", failures);
    }

    private static ObjectNode fieldEnv(String name, String path) {
        return Json.object("name", name, "valueFrom", Json.object("fieldRef",
                Json.object("apiVersion", "v1", "fieldPath", path)));
    }

    private static ObjectNode env(String name, String value) {
        return Json.object("name", name, "value", value);
    }

    /**
     * Moves a container's httpGet/tcpSocket/grpc probes behind the proxy's health port: the original action goes to
     * {@code REMORA_APP_PROBES} under {@code /app-health/<container>/<kind>} (a named port resolved to its number),
     * and the probe asks the proxy, which performs it against the app (a STRICT inbound would refuse the kubelet).
     */
    private static void rewriteProbes(ObjectNode container, Map<String, JsonNode> appProbes, List<String> warnings) {
        String name = Json.text(container, "name");
        for (int i = 0; i < PROBES.length; i += 2) {
            if (!(container.get(PROBES[i]) instanceof ObjectNode probe)) {
                continue;
            }
            String action = probe.has("httpGet") ? "httpGet" : probe.has("tcpSocket") ? "tcpSocket"
                    : probe.has("grpc") ? "grpc" : null;
            if (action == null || !(probe.get(action) instanceof ObjectNode original)) {
                continue; // exec probes run inside the container, past the proxy
            }
            ObjectNode resolved = original.deepCopy();
            JsonNode port = resolved.get("port");
            if (port != null && port.isString()) {
                int number = namedPort(container, port.stringValue());
                if (number < 0) {
                    warnings.add("container " + name + ": " + PROBES[i] + " names port \"" + port.stringValue()
                            + "\", which the container does not declare; the probe is left as it is");
                    continue;
                }
                resolved.put("port", number);
            }
            String path = "/app-health/" + name + "/" + PROBES[i + 1];
            appProbes.put(path, Json.object(action, resolved,
                    "timeoutSeconds", probe.has("timeoutSeconds") ? probe.get("timeoutSeconds").asInt(1) : 1));
            ObjectNode rewritten = Json.object("httpGet", Json.object("path", path, "port", HEALTH_PORT,
                    "scheme", "HTTP"));
            for (Map.Entry<String, JsonNode> e : probe.properties()) {
                if (!e.getKey().equals(action)) {
                    rewritten.set(e.getKey(), e.getValue());
                }
            }
            container.set(PROBES[i], rewritten);
        }
    }

    private static int namedPort(JsonNode container, String name) {
        for (JsonNode p : container.path("ports")) {
            if (name.equals(Json.text(p, "name")) && p.path("containerPort").isInt()) {
                return p.get("containerPort").asInt();
            }
        }
        return -1;
    }

    /** {@code port/protocol/name} of every TCP port the app containers declare, minus the excluded ones. */
    private static List<String> inboundPorts(ArrayNode containers, List<Integer> excluded) {
        Map<Integer, String> ports = new TreeMap<>();
        for (JsonNode c : containers) {
            for (JsonNode p : c.path("ports")) {
                int port = p.path("containerPort").asInt(0);
                String transport = Json.text(p, "protocol");
                if (port < 1 || port > 65535 || excluded.contains(port)
                        || !(transport.isEmpty() || transport.equals("TCP")) || ports.containsKey(port)) {
                    continue;
                }
                String name = Json.text(p, "name");
                ports.put(port, port + "/" + protocol(Json.text(p, "appProtocol"), name)
                        + (name.isEmpty() ? "" : "/" + name));
            }
        }
        return List.copyOf(ports.values());
    }

    /**
     * The port's protocol as Istio reads it: {@code appProtocol}, else the name's prefix ({@code grpc-api},
     * {@code http2}, {@code tcp-db}); TLS the app speaks itself is relayed as TCP; anything else is HTTP.
     */
    static String protocol(String appProtocol, String name) {
        for (String candidate : new String[] {appProtocol, name}) {
            String p = candidate.toLowerCase(Locale.ROOT);
            int dash = p.indexOf('-');
            String prefix = candidate == appProtocol || dash < 0 ? p : p.substring(0, dash);
            switch (prefix) {
                case "http", "kubernetes.io/ws", "kubernetes.io/wss" -> {
                    return "http";
                }
                case "http2", "h2c", "kubernetes.io/h2c" -> {
                    return "http2";
                }
                case "grpc", "grpc-web" -> {
                    return "grpc";
                }
                case "tcp", "https", "tls", "mongo", "mysql", "redis" -> {
                    return "tcp";
                }
                default -> {
                }
            }
        }
        return "http";
    }

    /**
     * The owning workload's name: a ReplicaSet owner without its pod-template-hash (the Deployment), another
     * controller owner (StatefulSet, DaemonSet, Job), else the generateName without its hash, else the
     * {@code app.kubernetes.io/name}/{@code app} label, else the pod's name.
     */
    static String workload(JsonNode pod, Map<String, String> labels) {
        JsonNode metadata = pod.path("metadata");
        String hash = labels.getOrDefault("pod-template-hash", "");
        for (JsonNode owner : metadata.path("ownerReferences")) {
            if (owner.path("controller").asBoolean(false)) {
                String name = Json.text(owner, "name");
                if (Json.text(owner, "kind").equals("ReplicaSet") && !hash.isEmpty() && name.endsWith("-" + hash)) {
                    return name.substring(0, name.length() - hash.length() - 1);
                }
                if (!name.isEmpty()) {
                    return name;
                }
            }
        }
        String generateName = Json.text(metadata, "generateName");
        if (!generateName.isEmpty()) {
            String base = generateName.endsWith("-") ? generateName.substring(0, generateName.length() - 1)
                    : generateName;
            return !hash.isEmpty() && base.endsWith("-" + hash)
                    ? base.substring(0, base.length() - hash.length() - 1) : base;
        }
        String app = first(labels, "", "app.kubernetes.io/name", "app");
        if (!app.isEmpty()) {
            return app;
        }
        return Json.text(metadata, "name");
    }

    private static String first(Map<String, String> labels, String fallback, String... keys) {
        for (String k : keys) {
            String v = labels.get(k);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return fallback;
    }

    /** Whether the pod already carries the sidecar (its status annotation or a container of ours). */
    static boolean isInjected(JsonNode pod) {
        if (status(pod).map(s -> s.has("version")).orElse(false)) {
            return true;
        }
        JsonNode spec = pod.path("spec");
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : spec.path(list)) {
                String name = Json.text(c, "name");
                if (name.equals(PROXY) || name.equals(INIT)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Optional<ObjectNode> status(JsonNode pod) {
        String text = Json.text(pod.path("metadata").path("annotations"), Annotations.STATUS);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Json.MAPPER.readTree(text) instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Takes the sidecar out again, by what {@code remora.io/status} lists: our containers, volumes, labels and
     * annotations, and the app probes back from {@code REMORA_APP_PROBES} (a named port comes back as its number).
     * A skip reason is removed too. Empty when the pod was never injected.
     */
    public static Optional<JsonNode> uninject(JsonNode pod) {
        Optional<ObjectNode> found = status(pod);
        if (found.isEmpty() || !(pod.get("spec") instanceof ObjectNode)) {
            return Optional.empty();
        }
        ObjectNode status = found.get();
        ObjectNode p = (ObjectNode) pod.deepCopy();
        ObjectNode spec = (ObjectNode) p.get("spec");
        ObjectNode metadata = Json.obj(p, "metadata");
        Map<String, JsonNode> probes = new TreeMap<>();
        for (String list : new String[] {"initContainers", "containers"}) {
            for (JsonNode c : spec.path(list)) {
                if (Json.text(c, "name").equals(PROXY)) {
                    for (JsonNode e : c.path("env")) {
                        if (Json.text(e, "name").equals(APP_PROBES_ENV)) {
                            Json.MAPPER.readTree(Json.text(e, "value")).properties()
                                    .forEach(entry -> probes.put(entry.getKey(), entry.getValue()));
                        }
                    }
                }
            }
        }
        removeNamed(spec, "initContainers", names(status, "initContainers"));
        removeNamed(spec, "containers", names(status, "containers"));
        removeNamed(spec, "volumes", names(status, "volumes"));
        for (JsonNode c : spec.path("containers")) {
            String name = Json.text(c, "name");
            for (int i = 0; i < PROBES.length; i += 2) {
                JsonNode original = probes.get("/app-health/" + name + "/" + PROBES[i + 1]);
                if (original != null && c.get(PROBES[i]) instanceof ObjectNode probe) {
                    ObjectNode restored = Json.object();
                    original.properties().stream().filter(e -> !e.getKey().equals("timeoutSeconds"))
                            .forEach(e -> restored.set(e.getKey(), e.getValue()));
                    probe.properties().stream().filter(e -> !e.getKey().equals("httpGet"))
                            .forEach(e -> restored.set(e.getKey(), e.getValue()));
                    ((ObjectNode) c).set(PROBES[i], restored);
                }
            }
        }
        if (metadata.get("labels") instanceof ObjectNode labels) {
            names(status, "labels").forEach(labels::remove);
            if (labels.isEmpty()) {
                metadata.remove("labels");
            }
        }
        if (metadata.get("annotations") instanceof ObjectNode annotations) {
            names(status, "annotations").forEach(annotations::remove);
            annotations.remove(Annotations.STATUS);
            if (annotations.isEmpty()) {
                metadata.remove("annotations");
            }
        }
        if (metadata.isEmpty()) {
            p.remove("metadata"); // a pod template that had none
        }
        return Optional.of(p);
    }

    private static List<String> names(ObjectNode status, String field) {
        List<String> out = new ArrayList<>();
        status.path(field).forEach(n -> out.add(n.asString("")));
        return out;
    }

    private static void removeNamed(ObjectNode spec, String field, List<String> names) {
        if (spec.get(field) instanceof ArrayNode list) {
            for (int i = list.size() - 1; i >= 0; i--) {
                if (names.contains(Json.text(list.get(i), "name"))) {
                    list.remove(i);
                }
            }
            if (list.isEmpty()) {
                spec.remove(field);
            }
        }
    }

    private static Injection unchanged(JsonNode pod, String reason) {
        return new Injection(Injection.Outcome.UNCHANGED, pod, reason, List.of());
    }

    /** The pod with the reason in {@code remora.io/status}, so {@code kubectl describe} shows why it has no proxy. */
    private static Injection skipped(JsonNode pod, String reason) {
        ObjectNode p = (ObjectNode) pod.deepCopy();
        Json.obj(Json.obj(p, "metadata"), "annotations").put(Annotations.STATUS,
                Json.object("skipped", reason).toString());
        return new Injection(Injection.Outcome.SKIPPED, p, "skipped: " + reason, List.of());
    }
}
