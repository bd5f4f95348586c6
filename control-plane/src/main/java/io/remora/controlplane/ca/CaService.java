package io.remora.controlplane.ca;

import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.remora.certs.CertificateAuthority;
import io.remora.certs.CertificateException;
import io.remora.certs.Pem;
import io.remora.certs.SpiffeId;
import io.remora.controlplane.ControlPlaneMetrics;
import io.remora.controlplane.push.Peer;
import io.remora.log.Log;
import io.remora.protocol.CertificateRequest;
import io.remora.protocol.CertificateResponse;
import io.remora.protocol.MeshProtocol;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The {@code SignCertificate} method: signs a sidecar's CSR for the workload its credential proves, as
 * {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}. What the CSR itself asks for is ignored; a
 * missing or refused credential and an unusable CSR are answered with the reason, logged here as well.
 */
public final class CaService {
    private final CertificateAuthority ca;
    private final Supplier<List<X509Certificate>> roots;
    private final CredentialVerifier verifier;
    private final Duration ttl;
    private final ControlPlaneMetrics metrics;

    public CaService(CertificateAuthority ca, Supplier<List<X509Certificate>> roots, CredentialVerifier verifier,
                     Duration ttl, ControlPlaneMetrics metrics) {
        this.ca = ca;
        this.roots = roots;
        this.verifier = verifier;
        this.ttl = ttl;
        this.metrics = metrics;
    }

    public ServerServiceDefinition.Builder addTo(ServerServiceDefinition.Builder service) {
        return service.addMethod(MeshProtocol.SIGN_CERTIFICATE, ServerCalls.asyncUnaryCall(this::sign));
    }

    private void sign(CertificateRequest request, StreamObserver<CertificateResponse> out) {
        Peer peer = Peer.current();
        String address = peer == null ? "unknown" : peer.address();
        if (peer == null || peer.token() == null) {
            refuse(out, address, "no_credential", Status.UNAUTHENTICATED,
                    "no credential: send the workload's token as authorization: Bearer <token>");
            return;
        }
        CredentialVerifier.Workload workload;
        try {
            workload = verifier.verify(peer.token());
        } catch (CredentialVerifier.Refused e) {
            refuse(out, address, "refused_credential", Status.UNAUTHENTICATED, "credential refused: " + e.getMessage(),
                    "credential refused: " + e.detail());
            return;
        } catch (RuntimeException e) {
            refuse(out, address, "error", Status.INTERNAL, "the credential could not be checked",
                    "the credential could not be checked: " + e);
            return;
        }
        if (MeshProtocol.CONTROL_PLANE_SERVICE_ACCOUNT.equals(workload.serviceAccount())) {
            // Sidecars trust that service account as the control plane; only the control plane issues it (itself).
            refuse(out, address, "refused_credential", Status.PERMISSION_DENIED, "credential refused: service account "
                    + workload.serviceAccount() + " in " + workload.namespace() + " is the control plane's;"
                    + " its certificate is never issued to a workload");
            return;
        }
        SpiffeId id = SpiffeId.workload(ca.trustDomain(), workload.namespace(), workload.serviceAccount());
        List<X509Certificate> chain;
        try {
            PKCS10CertificationRequest csr = Pem.csr("CSR", request == null || request.csr() == null ? ""
                    : request.csr());
            chain = ca.sign(csr, id, ttl);
        } catch (CertificateException | IllegalArgumentException e) {
            refuse(out, address, "bad_csr", Status.INVALID_ARGUMENT, "CSR refused for " + id + ": " + e.getMessage());
            return;
        }
        metrics.certificate("issued");
        Log.info("certificate_issued", "spiffe_id", id.toString(), "peer", address,
                "serial", chain.get(0).getSerialNumber().toString(16),
                "not_after", chain.get(0).getNotAfter().toInstant().toString());
        out.onNext(new CertificateResponse(Pem.encode(chain), Pem.encode(roots.get())));
        out.onCompleted();
    }

    private void refuse(StreamObserver<CertificateResponse> out, String address, String result, Status status,
                        String reason) {
        refuse(out, address, result, status, reason, reason);
    }

    /** The caller hears {@code reason} only; the log has {@code logged}, which may name files, counts, API errors. */
    private void refuse(StreamObserver<CertificateResponse> out, String address, String result, Status status,
                        String reason, String logged) {
        metrics.certificate(result);
        Log.warn("certificate_refused", "peer", address, "reason", logged);
        out.onError(status.withDescription(reason).asRuntimeException());
    }
}
