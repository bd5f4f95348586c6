package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Turns one Kubernetes Service, its EndpointSlices and their pods into Remora Service documents, so workloads that
 * only have a Kubernetes Service are in the mesh without writing any Remora resource.
 *
 * <p>A Remora Service speaks one protocol and its endpoints are {@code ip:port}, while a Kubernetes Service may have
 * several ports. So each TCP port becomes one Remora Service: the first keeps the Kubernetes name, the others are
 * named {@code <name>-<port name>} (or {@code <name>-<port number>} when the port has no name). Only the first one
 * lists the Kubernetes host names ({@code <name>.<ns>.svc.cluster.local}, {@code <name>.<ns>.svc}), because hosts
 * name a service whatever the port; the other ports are reached by their virtual address ({@code clusterIP:port}, in
 * capture mode) or by their own key ({@code reviews-grpc.shop}). UDP and SCTP ports are left out: Remora proxies TCP.
 */
final class ServiceTranslator {
    /** The label EndpointSlices carry naming their Service. */
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    /** The label the injector puts on pods it gave a sidecar; its value {@code remora} means mTLS can reach it. */
    static final String TLS_MODE_LABEL = "security.remora.io/tlsMode";
    static final String TLS_MODE_SIDECAR = "remora";

    /** Finds a pod in the informer cache; null when not (yet) known. */
    @FunctionalInterface
    interface Pods {
        Pod find(String namespace, String name);
    }

    private final String trustDomain;

    ServiceTranslator(String trustDomain) {
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    }

    /**
     * True for Services the mesh leaves alone: the API server's own ({@code kubernetes} in {@code default}),
     * ExternalName Services (a DNS alias, no endpoints), and Services with neither a selector nor EndpointSlices
     * (nothing would ever fill them).
     */
    static boolean skipped(Service service, List<EndpointSlice> slices) {
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        if ("default".equals(namespace) && "kubernetes".equals(name)) {
            return true;
        }
        if (service.getSpec() == null || "ExternalName".equals(service.getSpec().getType())) {
            return true;
        }
        Map<String, String> selector = service.getSpec().getSelector();
        return (selector == null || selector.isEmpty()) && slices.isEmpty();
    }

    /**
     * One document per TCP port, in the Service's port order; empty for a skipped Service. Endpoints are the ready
     * addresses of {@code slices} with the slice's port of the same name; a Service scaled to zero still yields its
     * documents (without endpoints), so routes that name it stay valid and its callers get 503 instead of the
     * request leaving the mesh.
     */
    List<MeshDocument> translate(Service service, List<EndpointSlice> slices, Pods pods) {
        if (skipped(service, slices)) {
            return List.of();
        }
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        List<EndpointSlice> ordered = new ArrayList<>(slices);
        ordered.sort(Comparator.comparing(s -> s.getMetadata().getName()));
        List<MeshDocument> documents = new ArrayList<>();
        for (ServicePort port : tcpPorts(service)) {
            boolean first = documents.isEmpty();
            Map<String, Object> spec = new LinkedHashMap<>();
            if (first) {
                String qualified = name + "." + namespace;
                spec.put("hosts", List.of(qualified + ".svc.cluster.local", qualified + ".svc"));
            }
            List<String> addresses = virtualAddresses(service, port.getPort());
            if (!addresses.isEmpty()) {
                spec.put("addresses", addresses);
            }
            spec.put("protocol", PortProtocol.of(port));
            List<Map<String, Object>> endpoints = endpoints(namespace, portName(port), ordered, pods);
            if (!endpoints.isEmpty()) {
                spec.put("endpoints", endpoints);
            }
            String documentName = first ? name : name + "-" + portSuffix(port);
            documents.add(new MeshDocument("Service", documentName, namespace, service.getMetadata().getLabels(),
                    spec));
        }
        return documents;
    }

    /** The SPIFFE ID a pod running as {@code serviceAccount} gets from the CA. */
    String identity(String namespace, String serviceAccount) {
        return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    private static List<ServicePort> tcpPorts(Service service) {
        List<ServicePort> ports = new ArrayList<>();
        if (service.getSpec().getPorts() != null) {
            for (ServicePort port : service.getSpec().getPorts()) {
                if ((port.getProtocol() == null || "TCP".equals(port.getProtocol())) && port.getPort() != null) {
                    ports.add(port);
                }
            }
        }
        return ports;
    }

    private static String portName(ServicePort port) {
        return port.getName() == null ? "" : port.getName();
    }

    private static String portSuffix(ServicePort port) {
        return port.getName() == null || port.getName().isEmpty() ? String.valueOf(port.getPort()) : port.getName();
    }

    /** {@code clusterIP:port} for each cluster IP (two on a dual-stack Service); none for a headless Service. */
    private static List<String> virtualAddresses(Service service, int port) {
        List<String> ips = service.getSpec().getClusterIPs();
        if (ips == null || ips.isEmpty()) {
            ips = service.getSpec().getClusterIP() == null ? List.of() : List.of(service.getSpec().getClusterIP());
        }
        List<String> addresses = new ArrayList<>();
        for (String ip : ips) {
            if (ip != null && !ip.isEmpty() && !"None".equals(ip)) {
                addresses.add(hostPort(ip, port));
            }
        }
        return addresses;
    }

    /** Ready endpoints (a missing condition counts as ready, as the API defines it), sorted and without repeats. */
    private List<Map<String, Object>> endpoints(String namespace, String portName, List<EndpointSlice> slices,
                                                Pods pods) {
        Map<String, Map<String, Object>> byAddress = new TreeMap<>();
        for (EndpointSlice slice : slices) {
            Integer port = slicePort(slice, portName);
            if (port == null || slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                if (endpoint.getAddresses() == null || !isReady(endpoint)) {
                    continue;
                }
                Pod pod = pod(endpoint.getTargetRef(), namespace, pods);
                for (String ip : endpoint.getAddresses()) {
                    String address = hostPort(ip, port);
                    byAddress.putIfAbsent(address, endpoint(address, pod, namespace));
                }
            }
        }
        return new ArrayList<>(byAddress.values());
    }

    private Map<String, Object> endpoint(String address, Pod pod, String namespace) {
        Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("address", address);
        if (pod != null) {
            Map<String, String> labels = pod.getMetadata().getLabels();
            if (labels != null && !labels.isEmpty()) {
                endpoint.put("labels", new TreeMap<>(labels));
            }
            // Only a pod with a sidecar can answer mTLS: the injector marks it (as Istio's security.istio.io/tlsMode).
            // A plain pod gets no identity, so callers reach it in plaintext instead of failing every handshake.
            if (labels != null && TLS_MODE_SIDECAR.equals(labels.get(TLS_MODE_LABEL))) {
                String serviceAccount = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
                // The API server fills in "default" when a pod names no service account.
                endpoint.put("identity", identity(namespace,
                        serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount));
            }
        }
        return endpoint;
    }

    private static boolean isReady(Endpoint endpoint) {
        return endpoint.getConditions() == null || !Boolean.FALSE.equals(endpoint.getConditions().getReady());
    }

    /** The slice's TCP port with the Service port's name; null when the slice has none for it. */
    private static Integer slicePort(EndpointSlice slice, String portName) {
        if (slice.getPorts() == null) {
            return null;
        }
        for (EndpointPort p : slice.getPorts()) {
            String name = p.getName() == null ? "" : p.getName();
            boolean tcp = p.getProtocol() == null || "TCP".equals(p.getProtocol());
            if (tcp && name.equals(portName) && p.getPort() != null) {
                return p.getPort();
            }
        }
        return null;
    }

    private static Pod pod(ObjectReference ref, String namespace, Pods pods) {
        if (ref == null || !"Pod".equals(ref.getKind()) || ref.getName() == null) {
            return null;
        }
        return pods.find(ref.getNamespace() == null ? namespace : ref.getNamespace(), ref.getName());
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
