package io.remora.controlplane.push;

import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.remora.controlplane.ControlPlaneMetrics;
import io.remora.controlplane.mesh.MeshState;
import io.remora.controlplane.mesh.ProxyNeeds;
import io.remora.controlplane.mesh.ProxySnapshot;
import io.remora.log.Log;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.MeshProtocol;
import io.remora.protocol.Node;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The {@code Subscribe} method: keeps every sidecar's stream and pushes each published mesh state to the sidecars
 * whose snapshot it changes. All stream state lives on one push thread, so no locks: a thousand sidecars with the
 * same needs share one snapshot, cut once per mesh state (and encoded once: the protocol's marshaller keeps the
 * encoded resources of recent versions).
 */
public final class PushService implements AutoCloseable {
    /**
     * One sidecar, for {@code /debug/proxies} and the dashboard.
     *
     * @param version           its version label, from its hello; null when it did not say
     * @param metrics           where the control plane scrapes its metrics ({@link MetricsAddress}); null when not
     * @param certificateExpiry when the certificate it subscribed with expires (streams last at most about 30
     *                          minutes and certificates are renewed at half their life, so this is the one in use
     *                          or its predecessor)
     * @param connected         false for a sidecar whose stream has ended (kept a while: {@link #GONE_KEPT})
     * @param lastReply         its last ACK or NACK; null before the first
     */
    public record ProxyStatus(String id, String namespace, String workload, String running, String nacked,
                              Instant lastContact, String version, String metrics, Instant certificateExpiry,
                              boolean connected, Instant connectedAt, Reply lastReply) {
    }

    /**
     * A sidecar's answer to a push.
     *
     * @param ack     true for an ACK, false for a NACK
     * @param version the version ACKed, or the one NACKed
     * @param reason  a NACK's reason ({@code invalid_config}...); null for an ACK
     * @param detail  a NACK's text (the validator's); null for an ACK
     */
    public record Reply(boolean ack, String version, Instant at, String reason, String detail) {
    }

    /** How many ended subscriptions are shown, and for how long: enough to see a sidecar go, never unbounded. */
    static final int GONE_KEPT = 64;
    static final java.time.Duration GONE_FOR = java.time.Duration.ofMinutes(10);

    private final ControlPlaneMetrics metrics;
    private final Clock clock;
    private final ExecutorService pushThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "remora-cp-push");
        t.setDaemon(true);
        return t;
    });
    private final Set<ProxyStream> streams = new LinkedHashSet<>();
    private final Map<ProxyNeeds.Needs, ProxySnapshot> cut = new HashMap<>();
    /** Sidecars whose stream ended, newest last; push thread only. */
    private final java.util.ArrayDeque<ProxyStatus> gone = new java.util.ArrayDeque<>();
    private MeshState mesh;
    private volatile boolean live;
    private long nonces;

    public PushService(MeshState initial, ControlPlaneMetrics metrics, Clock clock) {
        this.mesh = initial;
        this.metrics = metrics;
        this.clock = clock;
    }

    public ServerServiceDefinition.Builder addTo(ServerServiceDefinition.Builder service) {
        return service.addMethod(MeshProtocol.SUBSCRIBE, ServerCalls.asyncBidiStreamingCall(this::subscribe));
    }

    private StreamObserver<DiscoveryRequest> subscribe(StreamObserver<DiscoveryResponse> responses) {
        ServerCallStreamObserver<DiscoveryResponse> out = (ServerCallStreamObserver<DiscoveryResponse>) responses;
        Peer peer = Peer.current();
        if (peer == null || peer.id() == null) {
            String why = peer != null && peer.refusal() != null ? "its client certificate is refused: " + peer.refusal()
                    : "it sent no client certificate; get a workload certificate with SignCertificate first";
            Log.warn("subscription_refused", "peer", peer == null ? "unknown" : peer.address(), "reason", why);
            out.onError(Status.UNAUTHENTICATED.withDescription("Subscribe needs the workload certificate: " + why)
                    .asRuntimeException());
            return new StreamObserver<>() {
                @Override
                public void onNext(DiscoveryRequest value) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
        return new ProxyStream(this, out, peer);
    }

    /**
     * Pushes {@code next} to every sidecar it changes; its change time starts the convergence clock. The first
     * publication makes the service live: sidecars that subscribed before it are greeted then, never with a mesh
     * that is not yet built from every source.
     */
    public void publish(MeshState next) {
        onPushThread(() -> {
            mesh = next;
            cut.clear();
            boolean greet = !live;
            live = true;
            for (ProxyStream s : List.copyOf(streams)) {
                if (greet) {
                    s.greet(snapshotFor(s.node()));
                } else {
                    s.offer(snapshotFor(s.node()), next.changedAt());
                }
            }
        });
    }

    /** Whether a mesh built from every source has been published (sidecars are served from then on). */
    public boolean live() {
        return live;
    }

    public MeshState published() {
        return mesh;
    }

    /** Connected sidecars, read on the push thread. */
    public List<ProxyStatus> proxies() {
        return read(false);
    }

    /**
     * Connected sidecars, then those whose stream ended in the last {@link #GONE_FOR} (at most {@link #GONE_KEPT},
     * newest first; one that came back is shown connected only), read on the push thread.
     */
    public List<ProxyStatus> proxiesAndGone() {
        return read(true);
    }

    private List<ProxyStatus> read(boolean withGone) {
        try {
            return pushThread.submit(() -> {
                List<ProxyStatus> out = new ArrayList<>();
                for (ProxyStream s : streams) {
                    out.add(s.status(true));
                }
                if (withGone) {
                    forgetGone(null);
                    java.util.Iterator<ProxyStatus> newest = gone.descendingIterator();
                    while (newest.hasNext()) {
                        out.add(newest.next());
                    }
                }
                return out;
            }).get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    /** Drops what is too old or beyond the bound, and what {@code back} (a new subscription) stands for now. */
    private void forgetGone(ProxyStatus back) {
        Instant oldest = clock.instant().minus(GONE_FOR);
        gone.removeIf(g -> g.lastContact() == null || g.lastContact().isBefore(oldest) || back != null
                && g.namespace().equals(back.namespace()) && g.workload().equals(back.workload())
                && java.util.Objects.equals(g.metrics(), back.metrics()));
        while (gone.size() > GONE_KEPT) {
            gone.removeFirst();
        }
    }

    void subscribed(ProxyStream s) {
        streams.add(s);
        forgetGone(s.status(true));
        metrics.connected(1);
        Log.info("proxy_subscribed", "proxy", s.id().toString(), "workload", s.node().workload(),
                "running", s.runningVersion(), "calls", s.node().calls() == null ? "*" : String.join(",",
                        s.node().calls()));
        if (live) {
            s.greet(snapshotFor(s.node()));
        }
    }

    void unsubscribed(ProxyStream s) {
        if (streams.remove(s)) {
            metrics.connected(-1);
            gone.addLast(s.status(false));
            forgetGone(null);
            Log.info("proxy_unsubscribed", "proxy", s.id().toString(), "workload",
                    s.node() == null ? "" : s.node().workload());
        }
    }

    private ProxySnapshot snapshotFor(Node node) {
        return cut.computeIfAbsent(ProxyNeeds.of(mesh, node), needs -> ProxyNeeds.cut(mesh, needs));
    }

    void onPushThread(Runnable r) {
        try {
            pushThread.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    Log.error("push_thread_failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    String nextNonce() {
        return Long.toString(++nonces, 36);
    }

    Instant now() {
        return clock.instant();
    }

    ControlPlaneMetrics metrics() {
        return metrics;
    }

    @Override
    public void close() {
        pushThread.shutdownNow();
    }
}
