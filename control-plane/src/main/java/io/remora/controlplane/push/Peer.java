package io.remora.controlplane.push;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.remora.certs.SpiffeId;
import io.remora.certs.SvidException;
import io.remora.certs.TrustBundle;
import io.remora.protocol.MeshProtocol;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Who is calling, worked out once per call from the TLS session and headers: the SPIFFE ID of its certificate
 * (verified against the trust bundle; null when it sent none), the bearer token, and its address.
 *
 * @param id                verified SPIFFE ID of the client certificate, or null
 * @param refusal           why a presented certificate is not accepted, or null
 * @param address           the remote socket address, for logs
 * @param remoteIp          the remote IP; null when the transport gave no IP address
 * @param certificateExpiry when the verified client certificate expires; null without one
 */
public record Peer(SpiffeId id, String refusal, String token, String address, InetAddress remoteIp,
                   Instant certificateExpiry) {
    public static final Context.Key<Peer> KEY = Context.key("remora-peer");

    public static Peer current() {
        return KEY.get();
    }

    /** Puts the {@link Peer} of every call into its gRPC context. */
    public static ServerInterceptor interceptor(Supplier<TrustBundle> bundle, Clock clock) {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                SpiffeId id = null;
                String refusal = null;
                Instant expiry = null;
                List<X509Certificate> chain = chain(session);
                if (!chain.isEmpty()) {
                    try {
                        id = bundle.get().verify(chain, clock.instant());
                        expiry = chain.get(0).getNotAfter().toInstant();
                    } catch (SvidException e) {
                        refusal = e.getMessage();
                    }
                }
                SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
                InetAddress ip = remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
                Peer peer = new Peer(id, refusal, MeshProtocol.token(headers.get(MeshProtocol.AUTHORIZATION)),
                        remote == null ? "unknown" : remote.toString(), ip, expiry);
                return Contexts.interceptCall(Context.current().withValue(KEY, peer), call, headers, next);
            }
        };
    }

    private static List<X509Certificate> chain(SSLSession session) {
        List<X509Certificate> out = new ArrayList<>();
        if (session == null) {
            return out;
        }
        try {
            for (Certificate c : session.getPeerCertificates()) {
                if (c instanceof X509Certificate x) {
                    out.add(x);
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            // no client certificate: fine for SignCertificate, refused by Subscribe
        }
        return out;
    }
}
