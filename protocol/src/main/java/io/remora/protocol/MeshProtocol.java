package io.remora.protocol;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * The control-plane service sidecars talk to, on port {@value #DEFAULT_PORT} over TLS:
 * <ul>
 *   <li>{@code Subscribe}: one long-lived bidirectional stream per sidecar (which authenticates with its workload
 *   certificate); the control plane pushes whole snapshots, the sidecar ACKs or NACKs each.</li>
 *   <li>{@code SignCertificate}: a CSR and a credential ({@code authorization: Bearer <token>}) in, an X.509-SVID
 *   for the identity the credential stands for out. Needs no client certificate (it is how a sidecar gets one).</li>
 * </ul>
 */
public final class MeshProtocol {
    public static final String SERVICE = "remora.v1.ControlPlane";
    public static final int DEFAULT_PORT = 15010;
    /** The service account the control plane's own certificate names; sidecars expect it by default. */
    public static final String CONTROL_PLANE_SERVICE_ACCOUNT = "remora-control-plane";

    public static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    public static final MethodDescriptor<DiscoveryRequest, DiscoveryResponse> SUBSCRIBE =
            MethodDescriptor.<DiscoveryRequest, DiscoveryResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Subscribe"))
                    .setRequestMarshaller(new JsonMarshaller<>(DiscoveryRequest.class))
                    .setResponseMarshaller(new ResponseMarshaller())
                    .build();

    public static final MethodDescriptor<CertificateRequest, CertificateResponse> SIGN_CERTIFICATE =
            MethodDescriptor.<CertificateRequest, CertificateResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "SignCertificate"))
                    .setRequestMarshaller(new JsonMarshaller<>(CertificateRequest.class))
                    .setResponseMarshaller(new JsonMarshaller<>(CertificateResponse.class))
                    .setIdempotent(true)
                    .build();

    private MeshProtocol() {
    }

    /** The {@code authorization} header value carrying {@code token}. */
    public static String bearer(String token) {
        return "Bearer " + token;
    }

    /** The token of a {@code Bearer} header value, or null when it holds none. */
    public static String token(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }
}
