/**
 * The control plane's Kubernetes side: {@link io.remora.controlplane.kubernetes.KubernetesSource} turns what the
 * API server holds into mesh resources, and {@link io.remora.controlplane.kubernetes.TokenReviewVerifier} proves a
 * sidecar's workload from its projected service-account token.
 *
 * <h2>What becomes what</h2>
 * <ul>
 *   <li>A Remora custom object ({@code services.remora.io}, {@code routes.remora.io},
 *       {@code authorizationpolicies.remora.io}, group {@code remora.io}, version {@code v1}) becomes the same
 *       resource as in a config file, under the origin {@code <plural>.remora.io/<namespace>/<name>}. Only
 *       {@code apiVersion}, {@code kind}, {@code metadata.name/namespace/labels} and {@code spec} are copied, so the
 *       shared validator judges it exactly as a file; its verdict comes back as the object's {@code Accepted}
 *       condition.</li>
 *   <li>A Kubernetes Service with a selector or EndpointSlices becomes Remora Services under the origin
 *       {@code services/<namespace>/<name>}: one per TCP port, the first named as the Service, the others
 *       {@code <name>-<port name or number>}; hosts {@code <name>.<ns>.svc.cluster.local} and {@code <name>.<ns>.svc}
 *       on the first; {@code clusterIP:port} addresses; the protocol from {@code appProtocol} or the port name (as
 *       Istio); the ready endpoints of the slices with the pod's labels and SPIFFE ID
 *       {@code spiffe://<trust domain>/ns/<ns>/sa/<service account>}.</li>
 *   <li>A {@code services.remora.io} object with the namespace and name of one of those takes its place, and the
 *       fields it leaves unset (hosts, addresses, protocol, endpoints) are filled in from the Kubernetes Service.</li>
 * </ul>
 *
 * <p>Left out: the API server's {@code kubernetes} Service in {@code default}, ExternalName Services, Services with
 * neither selector nor slices, and UDP/SCTP ports.
 */
package io.remora.controlplane.kubernetes;
