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
    /** One connected sidecar, for {@code /debug/proxies}. */
    public record ProxyStatus(String id, String namespace, String workload, String running, String nacked,
                              Instant lastContact) {
    }

    private final ControlPlaneMetrics metrics;
    private final Clock clock;
    private final ExecutorService pushThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "remora-cp-push");
        t.setDaemon(true);
        return t;
    });
    private final Set<ProxyStream> streams = new LinkedHashSet<>();
    private final Map<ProxyNeeds.Needs, ProxySnapshot> cut = new HashMap<>();
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
        return new ProxyStream(this, out, peer.id());
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
        try {
            return pushThread.submit(() -> {
                List<ProxyStatus> out = new ArrayList<>();
                for (ProxyStream s : streams) {
                    out.add(new ProxyStatus(s.id().toString(), s.node().namespace(), s.node().workload(),
                            s.runningVersion(), s.nackedVersion(), s.lastContact()));
                }
                return out;
            }).get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    void subscribed(ProxyStream s) {
        streams.add(s);
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
