package io.remora.proxy.controlplane;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.remora.certs.Svid;
import io.remora.config.HostPort;
import io.remora.config.Sidecar;
import io.remora.log.Log;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.protocol.MeshProtocol;
import io.remora.protocol.Node;
import io.remora.proxy.ConfigSource;
import io.remora.proxy.ConfigTarget;
import io.remora.proxy.metrics.WorkloadLabels;
import io.remora.proxy.Daemons;
import io.remora.proxy.policy.Backoff;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Control-plane mode's {@link ConfigSource}, the sidecar's subscription to the control plane: one {@code Subscribe}
 * stream over a channel presenting the workload's current SVID; a hello naming the workload, what it calls and the
 * version it runs; then every push is handed to the {@link SnapshotAcceptor} and its ACK or NACK sent back. When the
 * stream ends (the control plane went away, refused us, or the network broke) it subscribes again after full-jitter
 * exponential backoff, with a new channel, so a renewed certificate is used; the backoff starts over once a message
 * arrives. The running config is never touched by a disconnect: traffic flows on what was applied last.
 *
 * <p>Threading: everything (connecting, the gRPC callbacks, acceptance, reconnect timers) runs on one daemon thread
 * of its own, so the client's state needs no locks and no event loop ever waits for it.
 */
public final class ControlPlaneClient implements ConfigSource {
    private final ControlPlaneChannels channels;
    private final Supplier<Svid> svid;
    private final LastKnownGood lastKnownGood;
    private final ControlPlaneStatus status;
    /** Set by {@link #start}, before the client thread first reads them. */
    private SnapshotAcceptor acceptor;
    private Node node;
    private final Backoff backoff;
    private final ScheduledExecutorService thread;
    /** The thread as the channels' executor: a callback arriving after close is dropped, not an error. */
    private final Executor callbacks;
    /** The stream in use; null between attempts. Client thread only. */
    private Subscription current;
    /** Attempts since a message last arrived. Client thread only. */
    private int failures;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param svid          the workload's current SVID, presented to the control plane at each (re)subscription
     * @param lastKnownGood where each applied snapshot is kept, for a start without the control plane
     * @param reconnect     backoff between subscription attempts
     */
    public ControlPlaneClient(ControlPlaneChannels channels, Supplier<Svid> svid, LastKnownGood lastKnownGood,
                              ControlPlaneStatus status, Backoff reconnect) {
        this.channels = channels;
        this.svid = svid;
        this.lastKnownGood = lastKnownGood;
        this.status = status;
        this.backoff = reconnect;
        this.thread = Daemons.scheduler("remora-control-plane");
        this.callbacks = r -> {
            try {
                thread.execute(r);
            } catch (RejectedExecutionException e) {
                // Closed: nothing is left to tell.
            }
        };
    }

    /**
     * Who this sidecar is and what it needs: the services its upstream listeners name, or null (any service) when
     * transparent capture is on, since the app may then call anything; its version label, as its metrics carry it;
     * and where its metrics are served ({@code metrics}, as bound; null when unknown), for the control plane to
     * scrape.
     */
    static Node node(Sidecar sidecar, InetSocketAddress metrics) {
        Sidecar.Outbound out = sidecar.spec().outbound();
        List<String> calls = out.capture().enabled() ? null
                : out.upstreams().stream().map(Sidecar.Upstream::service).distinct().toList();
        String version = WorkloadLabels.of(sidecar.workload(), sidecar.metadata().namespace(),
                sidecar.metadata().labels()).version();
        return new Node(sidecar.metadata().namespace(), sidecar.workload(), calls, version,
                metrics == null ? null : new HostPort(metrics.getAddress().getHostAddress(), metrics.getPort())
                        .toString());
    }

    @Override
    public String name() {
        return "control-plane";
    }

    /** Subscribes for {@code target} (in the background); returns at once. */
    @Override
    public void start(ConfigTarget target) {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("the control-plane client is started once");
        }
        acceptor = new SnapshotAcceptor(target, lastKnownGood, status);
        node = node(target.sidecar(), target.metricsAddress());
        try {
            thread.execute(this::subscribe);
        } catch (RejectedExecutionException e) {
            // Closed meanwhile: nothing to subscribe for.
        }
    }

    private void subscribe() {
        if (closed.get()) {
            return;
        }
        ManagedChannel channel;
        try {
            channel = channels.subscription(svid.get(), callbacks);
        } catch (Exception e) {
            retry(false, "cannot open a channel: " + e.getMessage());
            return;
        }
        Subscription s = new Subscription(channel);
        current = s;
        String running = acceptor.runningVersion();
        Log.info("control_plane_subscribing", "address", channels.address(), "version", running,
                "workload", node.workload(), "namespace", node.namespace());
        try {
            ClientCalls.asyncBidiStreamingCall(channel.newCall(MeshProtocol.SUBSCRIBE, CallOptions.DEFAULT), s)
                    .onNext(DiscoveryRequest.hello(node, running));
        } catch (RuntimeException e) {
            // Caught whole: this runs as a scheduled task, and one that throws would end the reconnecting.
            s.ended(String.valueOf(e));
        }
    }

    /**
     * Schedules the next attempt. {@code control_plane_disconnected} when a subscription that had been answered
     * ended, {@code control_plane_unreachable} when an attempt got nowhere.
     */
    private void retry(boolean wasConnected, String why) {
        if (wasConnected) {
            // A lost stream usually means a replica went away with many sidecars on it: start the backoff a few
            // steps in, so they come back spread over a wider window rather than in one wave.
            failures = Math.max(failures, RECONNECT_SPREAD_STEPS);
        }
        failures++;
        long delay = backoff.delayNanos(failures, ThreadLocalRandom.current());
        Log.warn(wasConnected ? "control_plane_disconnected" : "control_plane_unreachable",
                "address", channels.address(), "error", why, "attempt", failures,
                "retry_in_ms", Duration.ofNanos(delay).toMillis());
        try {
            thread.schedule(this::subscribe, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Closed meanwhile: no more attempts.
        }
    }

    /** Backoff steps skipped after a stream that had been answered ends (the first retry's window is 2^this wider). */
    private static final int RECONNECT_SPREAD_STEPS = 3;

    /** One subscription attempt: its channel and stream. Its callbacks run on the client thread. */
    private final class Subscription implements ClientResponseObserver<DiscoveryRequest, DiscoveryResponse> {
        private final ManagedChannel channel;
        private ClientCallStreamObserver<DiscoveryRequest> requests;
        private boolean answered;

        Subscription(ManagedChannel channel) {
            this.channel = channel;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> requests) {
            this.requests = requests;
        }

        @Override
        public void onNext(DiscoveryResponse push) {
            if (this != current || closed.get()) {
                return;
            }
            status.contact(push.nonce());
            failures = 0;
            if (!answered) {
                answered = true;
                status.connected(true);
                Log.info("control_plane_connected", "address", channels.address());
            }
            requests.onNext(acceptor.accept(push));
        }

        @Override
        public void onError(Throwable t) {
            ended(ControlPlaneChannels.describe(Status.fromThrowable(t)));
        }

        @Override
        public void onCompleted() {
            ended("the control plane ended the subscription");
        }

        private void ended(String why) {
            if (this != current) {
                return;
            }
            current = null;
            status.connected(false);
            channel.shutdownNow();
            if (!closed.get()) {
                retry(answered, why);
            }
        }

        void cancel() {
            if (requests != null) {
                requests.cancel("the sidecar is stopping", null);
            }
            channel.shutdownNow();
        }
    }

    /** Ends the subscription and stops reconnecting; the running config stays as it is. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (!started.get()) {
            thread.shutdownNow(); // never subscribed: nothing to end, nothing to say
            return;
        }
        CompletableFuture<ManagedChannel> cancelled = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                Subscription s = current;
                current = null;
                status.connected(false);
                if (s != null) {
                    s.cancel();
                }
                cancelled.complete(s == null ? null : s.channel);
            });
            ManagedChannel channel = cancelled.get(2, TimeUnit.SECONDS);
            if (channel != null) {
                // Lets the cancelled call's last callbacks run before the thread goes.
                channel.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            Log.warn("control_plane_close_failed", "error", e.toString());
        } finally {
            thread.shutdownNow();
        }
        Log.info("control_plane_unsubscribed", "address", channels.address());
    }
}
