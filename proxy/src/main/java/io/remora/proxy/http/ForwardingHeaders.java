package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.StreamInfo;

import java.util.List;

/**
 * The header edits a proxy owes the hops on either side, apart from hop-by-hop stripping ({@link HopByHop}): who
 * forwarded the request and for whom ({@code x-forwarded-*}, the verified caller in {@code x-forwarded-client-cert}),
 * the request id, and the sidecars' own metadata ({@link PeerMetadata}), which is taken from what arrives and written
 * anew so that no app can claim another's identity.
 */
final class ForwardingHeaders {
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    /** Envoy's header for the caller's verified identity, as Istio sets it for the app. */
    private static final AsciiString X_FORWARDED_CLIENT_CERT = AsciiString.cached("x-forwarded-client-cert");
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");

    private ForwardingHeaders() {
    }

    /**
     * Edits a request's headers before it is routed and records what they told in {@code info} (request id, the
     * calling sidecar's labels).
     *
     * @return inbound over mutual TLS: the service the source sidecar routed to, when it said and it is this
     *         namespace's; else null
     */
    static String request(HttpHeaders h, StreamExchanges owner, ProxyContext pc, StreamInfo info) {
        String remote = owner.remoteIp();
        if (remote != null) {
            String first = h.get(X_FORWARDED_FOR);
            if (first == null || first.isEmpty()) {
                h.set(X_FORWARDED_FOR, remote);
            } else {
                // Several x-forwarded-for lines are one comma-separated list (RFC 9110 §5.3): keep every hop.
                List<String> prior = h.getAll(X_FORWARDED_FOR);
                StringBuilder xff = new StringBuilder(first.length() + remote.length() + 16);
                for (int i = 0; i < prior.size(); i++) {
                    String v = prior.get(i).trim();
                    if (!v.isEmpty()) {
                        xff.append(v).append(", ");
                    }
                }
                h.set(X_FORWARDED_FOR, xff.append(remote).toString());
            }
            info.forwardedFor(h.get(X_FORWARDED_FOR));
        }
        if (!h.contains(X_FORWARDED_PROTO)) {
            h.set(X_FORWARDED_PROTO, "http");
        }
        String calledService = null;
        if (!owner.listener().outbound()) {
            // Inbound: the app learns who called from the verified identity only; a caller cannot claim one.
            h.remove(X_FORWARDED_CLIENT_CERT);
            String peer = owner.peerPrincipal();
            if (peer != null) {
                h.set(X_FORWARDED_CLIENT_CERT, "By=" + pc.principal() + ";URI=" + peer);
                // What the source sidecar says of itself and of the service it called counts over mTLS only.
                info.peerLabels(pc.peerMetadata().peer(h.get(PeerMetadata.PEER), owner.peerNamespace()));
                calledService = pc.peerMetadata().calledService(h.get(PeerMetadata.SERVICE));
            }
        }
        // Never passed on as they came: inbound they are for this sidecar, outbound an app cannot claim them.
        h.remove(PeerMetadata.PEER);
        h.remove(PeerMetadata.SERVICE);
        String requestId = h.get(X_REQUEST_ID);
        if (requestId == null || requestId.isEmpty()) {
            requestId = RequestIds.next();
            h.set(X_REQUEST_ID, requestId);
        }
        info.requestId(requestId);
        // This hop's trace context, after every other edit: retries resend this head as it is.
        info.span().inject(h);
        return calledService;
    }

    /**
     * Edits a response head before it goes downstream: outbound, the upstream sidecar's metadata is read (counted
     * only when the upstream proved an identity, from {@code upstreamNamespace}) and removed; inbound, this sidecar's
     * own is told to a caller that proved one.
     *
     * @param upstreamNamespace outbound over mutual TLS: the namespace of the upstream's SPIFFE ID; else null
     */
    static void response(HttpHeaders h, StreamExchanges owner, ProxyContext pc, StreamInfo info,
                         String upstreamNamespace) {
        if (owner.listener().outbound()) {
            String told = h.get(PeerMetadata.PEER);
            if (told != null) {
                h.remove(PeerMetadata.PEER);
            }
            if (upstreamNamespace != null) {
                info.peerLabels(pc.peerMetadata().peer(told, upstreamNamespace));
            }
        } else {
            h.remove(PeerMetadata.PEER);
            if (owner.peerPrincipal() != null) {
                h.set(PeerMetadata.PEER, pc.peerMetadata().own());
            }
        }
    }
}
