package io.remora.controlplane.push;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.remora.certs.SpiffeId;
import io.remora.controlplane.mesh.ProxySnapshot;
import io.remora.log.Log;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.Node;

import java.time.Duration;
import java.time.Instant;

/**
 * One sidecar's subscription: what it runs, what was sent to it, and the one snapshot waiting for it when it is
 * slow to read. The waiting slot holds at most one snapshot (the queue bound): a newer one replaces it, counted as
 * an overflow, and since snapshots are state of the world nothing is lost. Because a waiting snapshot is replaced
 * rather than queued behind, an endpoint removal is never stuck behind older full pushes: only the bytes already
 * on the wire go first. Touched only on the push thread ({@link PushService}).
 */
final class ProxyStream implements StreamObserver<DiscoveryRequest> {
    private final PushService service;
    private final ServerCallStreamObserver<DiscoveryResponse> out;
    private final SpiffeId id;
    private Node node;
    private String runningVersion = "";
    private String sentVersion;
    private String sentNonce;
    private Instant sentChangedAt;
    private String nackedVersion;
    private ProxySnapshot waiting;
    private Instant waitingChangedAt;
    private Instant lastContact;
    private boolean closed;
    private final Peer peer;
    private Instant connectedAt;
    private String metricsAddress;
    private PushService.Reply lastReply;

    ProxyStream(PushService service, ServerCallStreamObserver<DiscoveryResponse> out, Peer peer) {
        this.service = service;
        this.out = out;
        this.peer = peer;
        this.id = peer.id();
        out.setOnReadyHandler(() -> service.onPushThread(this::flush));
        out.setOnCancelHandler(() -> service.onPushThread(this::gone));
    }

    SpiffeId id() {
        return id;
    }

    Node node() {
        return node;
    }

    String runningVersion() {
        return runningVersion;
    }

    Instant lastContact() {
        return lastContact;
    }

    String nackedVersion() {
        return nackedVersion;
    }

    /** What {@code /debug/proxies} and the dashboard show of it; {@code connected} false once it has ended. */
    PushService.ProxyStatus status(boolean connected) {
        return new PushService.ProxyStatus(id.toString(), node.namespace(), node.workload(), runningVersion,
                nackedVersion, lastContact, node.version(), metricsAddress, peer.certificateExpiry(), connected,
                connectedAt, lastReply);
    }

    @Override
    public void onNext(DiscoveryRequest request) {
        service.onPushThread(() -> handle(request));
    }

    @Override
    public void onError(Throwable t) {
        service.onPushThread(this::gone);
    }

    @Override
    public void onCompleted() {
        service.onPushThread(() -> {
            gone();
            out.onCompleted();
        });
    }

    private void handle(DiscoveryRequest request) {
        if (closed) {
            return;
        }
        lastContact = service.now();
        if (node == null) {
            hello(request);
            return;
        }
        if (request.nonce() == null || !request.nonce().equals(sentNonce)) {
            return; // answers a response since superseded
        }
        if (request.isNack()) {
            nackedVersion = sentVersion;
            runningVersion = request.version();
            lastReply = new PushService.Reply(false, sentVersion, lastContact, request.error().reason() == null ? null
                    : request.error().reason().name().toLowerCase(java.util.Locale.ROOT), request.error().detail());
            service.metrics().nacked(request.error().reason());
            Log.warn("snapshot_nacked", "proxy", id.toString(), "workload", node.workload(), "version", sentVersion,
                    "running", request.version(), "reason", String.valueOf(request.error().reason()),
                    "detail", request.error().detail());
        } else {
            runningVersion = request.version();
            lastReply = new PushService.Reply(true, request.version(), lastContact, null, null);
            if (sentChangedAt != null) {
                service.metrics().converged(Duration.between(sentChangedAt, service.now()));
            }
        }
        sentNonce = null;
        sentChangedAt = null;
    }

    private void hello(DiscoveryRequest request) {
        Node n = request.node();
        if (n == null || n.namespace() == null || n.workload() == null) {
            fail(Status.INVALID_ARGUMENT.withDescription("the first request must carry node (namespace, workload)"));
            return;
        }
        if (!n.namespace().equals(id.namespace())) {
            fail(Status.PERMISSION_DENIED.withDescription("the certificate's identity " + id + " is not of namespace "
                    + n.namespace()));
            return;
        }
        node = n;
        runningVersion = request.version() == null ? "" : request.version();
        connectedAt = lastContact;
        metricsAddress = MetricsAddress.resolve(n.metrics(), peer.remoteIp());
        service.subscribed(this);
    }

    /**
     * Answers the hello with the current snapshot, even one the sidecar already runs: it confirms the version and
     * tells the sidecar its subscription is live.
     */
    void greet(ProxySnapshot snapshot) {
        if (!closed && node != null) {
            waiting = snapshot;
            waitingChangedAt = null;
            flush();
        }
    }

    /** Offers the snapshot of a new mesh state; {@code changedAt} starts the convergence clock. */
    void offer(ProxySnapshot snapshot, Instant changedAt) {
        if (closed || node == null) {
            return;
        }
        String target = waiting != null ? waiting.version() : sentVersion != null ? sentVersion : runningVersion;
        if (snapshot.version().equals(target) || snapshot.version().equals(nackedVersion)) {
            service.metrics().unchanged();
            return;
        }
        if (waiting != null) {
            service.metrics().overflow();
        }
        waiting = snapshot;
        waitingChangedAt = earliest(waitingChangedAt, changedAt);
        flush();
    }

    private void flush() {
        if (closed || waiting == null || !out.isReady()) {
            return;
        }
        ProxySnapshot s = waiting;
        waiting = null;
        sentVersion = s.version();
        // Superseding a push not yet ACKed: its change is still waiting to converge, so the clock keeps running.
        sentChangedAt = sentNonce != null ? earliest(sentChangedAt, waitingChangedAt) : waitingChangedAt;
        sentNonce = service.nextNonce();
        waitingChangedAt = null;
        try {
            out.onNext(new DiscoveryResponse(s.version(), sentNonce, s.resources()));
        } catch (RuntimeException e) {
            Log.warn("push_failed", "proxy", id.toString(), "error", e.toString());
            gone();
            return;
        }
        service.metrics().pushed(s.resources().length());
    }

    private static Instant earliest(Instant a, Instant b) {
        return a == null ? b : b == null || a.isBefore(b) ? a : b;
    }

    private void fail(Status status) {
        Log.warn("subscription_refused", "proxy", id.toString(), "reason", status.getDescription());
        closed = true;
        out.onError(status.asRuntimeException());
    }

    private void gone() {
        if (!closed) {
            closed = true;
            lastContact = service.now(); // shown as when it was last heard of
            service.unsubscribed(this);
        }
    }
}
