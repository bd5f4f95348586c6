package io.remora.proxy;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelMatcher;
import io.netty.util.concurrent.EventExecutor;
import io.remora.config.Durations;
import io.remora.log.Log;
import io.remora.proxy.http.DownstreamHttpHandler;
import io.remora.proxy.listener.DownstreamInitializer;
import io.remora.proxy.listener.ListenerSpec;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One graceful stop of a running proxy (SIGTERM or {@code POST /drain}), in this order and for these reasons:
 * <ol>
 *   <li>readiness turns false at once, so Kubernetes takes the pod out of its Services' endpoints;</li>
 *   <li>inbound connections are told to go elsewhere: HTTP/1.1 ones close after their current response
 *       ({@code Connection: close}; idle ones at once), HTTP/2 ones get GOAWAY and finish their streams;</li>
 *   <li>the inbound listener keeps accepting through the drain time, and serves what arrives the same way
 *       (one response with {@code Connection: close}, or one stream then GOAWAY): callers learn of the
 *       endpoint's removal only when the EndpointSlice update reaches them, and until then a refused
 *       connection would be a failed request;</li>
 *   <li>outbound listeners and connections are served as usual: the app may still be finishing its work;</li>
 *   <li>the proxy stops when the drain time is over, or earlier once no downstream connection has been open for
 *       a quiet second (nothing left to serve: a finished Job, an idle pod); at the drain time the inbound
 *       listener closes first and responses in flight get half a second to finish, so a request that was
 *       being answered at that moment is not cut.</li>
 * </ol>
 *
 * <p>Nothing looks at the connections on a timer: the drain waits on their close futures (the channel group's) and
 * on timers of one event loop, where all its state lives. A connection that comes and goes within a quiet second is
 * seen at that second's end (the group's arrival count moved), and a new quiet second starts then, so the drain never
 * ends less than a second after a connection was open. Stopping the proxy waits for its event loops, so that runs on
 * a thread of its own.
 */
final class Drain {
    /** A drain ends early once no downstream connection has been open for this long. */
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** After the drain time, how long responses in flight on inbound connections may take to finish. */
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Connections the inbound listener accepted: the ones told to go elsewhere, and given the grace. */
    private static final ChannelMatcher INBOUND = ch -> {
        ListenerSpec l = ch.attr(DownstreamInitializer.LISTENER).get();
        return l != null && !l.outbound();
    };

    private final ProxyContext pc;
    private final DownstreamConnections connections;
    private final Listeners listeners;
    private final EventExecutor loop;
    private final Runnable stop;
    /** Set on the loop once the drain has decided to stop the proxy. */
    private boolean over;

    /**
     * @param loop where the drain's timers and state live
     * @param stop stops the proxy; run once, on a thread of its own
     */
    Drain(ProxyContext pc, DownstreamConnections connections, Listeners listeners, EventExecutor loop,
          Runnable stop) {
        this.pc = pc;
        this.connections = connections;
        this.listeners = listeners;
        this.loop = loop;
        this.stop = stop;
    }

    /** Starts the drain; returns at once. */
    void start() {
        pc.startDraining();
        Duration drainTime = pc.spec().drainTime();
        Log.info("drain_started", "connections", String.valueOf(connections.size()),
                "drain_time", Durations.format(drainTime));
        for (Channel ch : connections) {
            if (INBOUND.matches(ch)) {
                ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(DownstreamHttpHandler.DRAIN));
            }
        }
        onLoop(() -> {
            loop.schedule(this::drainTimeOver, drainTime.toNanos(), TimeUnit.NANOSECONDS);
            awaitQuiet();
        });
    }

    /** Waits for the open connections to close, then for a quiet second; one arriving meanwhile starts it over. */
    private void awaitQuiet() {
        if (over) {
            return;
        }
        // Read before looking at the group: a connection added after this read moves the count.
        long arrivals = connections.arrivals();
        if (!connections.isEmpty()) {
            connections.newCloseFuture().addListener(closed -> onLoop(this::awaitQuiet));
            return;
        }
        loop.schedule(() -> {
            if (connections.arrivals() == arrivals) {
                finish();
            } else {
                awaitQuiet();
            }
        }, QUIET_NANOS, TimeUnit.NANOSECONDS);
    }

    /**
     * With responses still on their way: no new inbound connection (a caller retries a refused one elsewhere), and
     * those in flight get the grace to finish, since each inbound connection closes after its current response.
     */
    private void drainTimeOver() {
        if (over) {
            return;
        }
        if (!inboundOpen()) {
            finish();
            return;
        }
        listeners.closeInbound().addListener(closed -> onLoop(() -> {
            loop.schedule(this::finish, GRACE_NANOS, TimeUnit.NANOSECONDS);
            connections.newCloseFuture(INBOUND).addListener(inboundClosed -> onLoop(this::finish));
        }));
    }

    private boolean inboundOpen() {
        for (Channel ch : connections) {
            if (INBOUND.matches(ch)) {
                return true;
            }
        }
        return false;
    }

    private void finish() {
        if (over) {
            return;
        }
        over = true;
        int left = connections.size();
        Thread stopping = new Thread(() -> {
            Log.info("drain_finished", "connections_cut", String.valueOf(left));
            stop.run();
        }, "remora-drain");
        stopping.setDaemon(true);
        stopping.start();
    }

    private void onLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The proxy stopped meanwhile (closed outright): nothing is left to drain.
        }
    }
}
