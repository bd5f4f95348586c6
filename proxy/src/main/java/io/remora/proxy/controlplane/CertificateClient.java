package io.remora.proxy.controlplane;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.remora.protocol.CertificateRequest;
import io.remora.protocol.CertificateResponse;
import io.remora.protocol.MeshProtocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code SignCertificate} over the channel without a client certificate. The credential is read from
 * {@code controlPlane.tokenFile} at every call, since whatever provides it (the kubelet's projected token) rotates
 * it. A blocking call: it runs on the certificate renewer's own thread, never on an event loop.
 */
public final class CertificateClient implements CertificateSigner {
    private final ControlPlaneChannels channels;
    private final Path tokenFile;
    private final Duration timeout;

    /** @param timeout deadline of one call */
    public CertificateClient(ControlPlaneChannels channels, Path tokenFile, Duration timeout) {
        this.channels = channels;
        this.tokenFile = tokenFile;
        this.timeout = timeout;
    }

    @Override
    public CertificateResponse sign(String csrPem) throws Failure {
        Metadata headers = new Metadata();
        headers.put(MeshProtocol.AUTHORIZATION, MeshProtocol.bearer(token()));
        Channel channel = ClientInterceptors.intercept(channels.signing(),
                MetadataUtils.newAttachHeadersInterceptor(headers));
        CertificateResponse response;
        try {
            response = ClientCalls.blockingUnaryCall(channel, MeshProtocol.SIGN_CERTIFICATE,
                    CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
                    new CertificateRequest(csrPem));
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            switch (status.getCode()) {
                // The control plane heard the request and said no: the credential or the CSR is the problem.
                case UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, FAILED_PRECONDITION ->
                        throw Failure.refused(status.getDescription() != null ? status.getDescription()
                                : status.getCode().name());
                default -> throw Failure.failed(ControlPlaneChannels.describe(status), e);
            }
        }
        if (response == null || response.certificateChain() == null || response.trustBundle() == null) {
            throw Failure.failed("the control plane answered without a certificate chain or trust bundle", null);
        }
        return response;
    }

    private String token() throws Failure {
        String token;
        try {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw Failure.failed("cannot read the token file " + tokenFile + ": " + e, e);
        }
        if (token.isEmpty()) {
            throw Failure.failed("the token file " + tokenFile + " is empty", null);
        }
        return token;
    }
}
