package io.remora.proxy.http;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.remora.certs.SpiffeId;
import io.remora.proxy.ProxyContext;
import io.remora.proxy.cluster.Cluster;
import io.remora.proxy.cluster.Endpoint;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.log.ResponseFlag;
import io.remora.proxy.log.StreamInfo;
import io.remora.proxy.policy.Backoff;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.OutlierDetector;
import io.remora.proxy.policy.RetryDecision;
import io.remora.proxy.policy.RetryPolicy;
import io.remora.proxy.policy.RetryReason;
import io.remora.proxy.policy.TimeoutKind;
import io.remora.proxy.policy.TryFailure;
import io.remora.proxy.route.RouteDecision;
import io.remora.proxy.route.RoutePolicy;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The upstream half of a routed exchange (what Envoy's router filter does): the policy steps before the first try,
 * the deadline, the tries ({@link Attempt}), and the decision after each failed one to retry
 * ({@link RetryDecision}) or to answer with the failure. The downstream half, {@link HttpExchange}, owns the caller's
 * connection and is told only of outcomes: a response to forward, a failure to answer, a stream to cut.
 */
final class UpstreamCall {
    private static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");

    private final HttpExchange exchange;
    private final DownstreamStream downstream;
    private final ProxyContext pc;
    private final StreamInfo info;
    private final RouteDecision.Upstream route;
    private final RoutePolicy policy;
    private final ServiceGuard guard;
    private final HttpRequest head;
    private final ReplayBuffer request;
    private final RetryState retries;
    private boolean holdsRequestSlot;
    private final Deadline deadline;
    private final DeadlineTimer deadlines;
    /** The wait before a try: a fault's delay before the first, a retry's backoff before the others. */
    private ScheduledFuture<?> waitTimer;
    private Attempt attempt;

    UpstreamCall(HttpExchange exchange, DownstreamStream downstream, ProxyContext pc, StreamInfo info,
                 RouteDecision.Upstream route, HttpRequest head, ReplayBuffer request, DeadlineTimer deadlines) {
        this.exchange = exchange;
        this.deadlines = deadlines;
        this.downstream = downstream;
        this.pc = pc;
        this.info = info;
        this.route = route;
        this.policy = route.policy();
        this.guard = route.cluster() == null ? null : route.cluster().guard();
        this.head = head;
        this.request = request;
        this.retries = new RetryState(policy.retries(), guard, RetryPolicy.idempotent(info.method()));
        this.deadline = new Deadline(pc.environment().ticker(), this::deadlineExpired);
    }

    /**
     * The request path after routing, in {@link RequestSteps}' order: rate limit, faults, admission, then the
     * deadline (which covers every try and the waits between them), and only then the first try. A fault's delay
     * starts the deadline before it waits: the delay is the upstream's stand-in, so it counts against the time.
     */
    void start() {
        RequestSteps.Outcome before = RequestSteps.beforeAdmission(policy, guard, pc.environment().randomness(),
                info.grpc());
        if (before instanceof RequestSteps.Reply reply) {
            answer(reply);
            return;
        }
        if (before instanceof RequestSteps.Delay delay) {
            info.flag(ResponseFlag.DELAY_INJECTED);
            startDeadline();
            waitTimer = schedule(this::delayOver, delay.nanos());
            return;
        }
        if (admit()) {
            startDeadline();
            startTry(null, true);
        }
    }

    private void delayOver() {
        waitTimer = null;
        if (exchange.waitingForUpstream() && admit()) {
            startTry(null, false);
        }
    }

    /** The circuit breaker's request limit ({@link RequestSteps#admission}); false once answered 503 UO. */
    private boolean admit() {
        RequestSteps.Outcome admitted = RequestSteps.admission(guard, info.destinationService());
        if (admitted instanceof RequestSteps.Reply reply) {
            answer(reply);
            return false;
        }
        holdsRequestSlot = guard != null;
        return true;
    }

    /** A step's local answer, with a gRPC status of its own for gRPC callers when it names one. */
    private void answer(RequestSteps.Reply r) {
        info.flags(r.flags());
        exchange.localFailure(r.status(), r.grpcStatus(), r.message());
    }

    private void startDeadline() {
        long timeout = RequestSteps.deadlineNanos(policy, info.grpc(),
                info.grpc() ? head.headers().get(GRPC_TIMEOUT) : null);
        deadline.start(timeout, deadlines);
    }

    /** The current try; null before the first one starts (a fault's delay, or answered before). */
    Attempt current() {
        return attempt;
    }

    // ---- tries ---------------------------------------------------------------------------------------------

    /** Picks an endpoint (another one than {@code avoid} when there is one) and sends a try ({@link Attempt#send}). */
    private void startTry(Endpoint avoid, boolean inDownstreamRead) {
        // Inbound and passthrough traffic have no cluster: they go to one fixed address.
        Cluster cluster = route.cluster();
        Endpoint endpoint = null;
        InetSocketAddress address = route.address();
        if (cluster != null) {
            endpoint = avoid == null ? cluster.pick() : cluster.pick(avoid);
            address = endpoint.address();
            guard.meters().attempt();
        }
        // mTLS to an endpoint that declares its identity, when this sidecar has one.
        SpiffeId identity = endpoint != null && pc.upstreamTls() != null ? endpoint.spiffeId() : null;
        Attempt a = new Attempt(this, exchange, attempt == null ? 1 : attempt.number + 1, endpoint, address, identity);
        attempt = a;
        info.tryStarted(address, a.principal(), pc.environment().ticker().nanoTime());
        if (info.grpc() && deadline.set()) {
            // The upstream gets the time actually left, so it can give up when the caller will have.
            head.headers().set(GRPC_TIMEOUT, GrpcTimeout.format(deadline.left()));
        }
        long perTry = policy.retries().perTryTimeoutNanos();
        if (perTry > 0) {
            a.timer = schedule(() -> tryTimeout(a), deadline.forTry(perTry));
        }
        a.send(pc, downstream.eventLoop(), route, guard == null ? ConcurrencyLimits.UNLIMITED : guard.limits(),
                head.headers(), info.destinationService(), inDownstreamRead);
    }

    /**
     * A try failed before any response went downstream: retried when {@link RetryState} says so, after its wait.
     *
     * @return true when a retry was scheduled
     */
    private boolean retry(RetryReason reason, long retryAfterNanos) {
        // A request whose caller is gone is not tried again: nobody is left to answer.
        boolean replayable = request.replayable() && downstream.isActive();
        long wait = retries.next(attempt.number, reason, retryAfterNanos, replayable,
                pc.environment().ticker().nanoTime(), deadline.at(), pc.environment().randomness().current());
        if (wait < 0) {
            return false;
        }
        info.span().retry(attempt.number + 1, reason.label(), pc.environment().ticker().nanoTime());
        Attempt previous = attempt;
        previous.end();
        request.rewind();
        waitTimer = schedule(() -> {
            waitTimer = null;
            if (exchange.waitingForUpstream()) {
                startTry(previous.endpoint, false);
            }
        }, wait);
        return true;
    }

    /** Answers with a try's failure: {@code URX} beside it when the rules would have retried and nothing was left. */
    private void fail(Attempt a, HttpResponseStatus status, ResponseFlag flag, String message) {
        a.end();
        info.flag(flag);
        if (retries.limitReached()) {
            info.flag(ResponseFlag.RETRY_LIMIT_EXCEEDED);
        }
        exchange.localFailure(status, -1, message);
    }

    /** A try failed before its response: the endpoint is told off, and the try retried when the rules allow. */
    private boolean retried(Attempt a, TryFailure failure) {
        report(a, OutlierDetector.Outcome.GATEWAY_ERROR);
        return retry(retries.reasonFor(failure), 0);
    }

    private void report(Attempt a, OutlierDetector.Outcome outcome) {
        if (guard != null && a != null && a.endpoint != null && a.state() != Attempt.State.ENDED) {
            guard.report(a.endpoint, outcome);
        }
    }

    private void tryTimeout(Attempt a) {
        a.timer = null;
        if (a != attempt || !exchange.waitingForUpstream() || a.state() == Attempt.State.RESPONDING) {
            return;
        }
        if (guard != null) {
            guard.meters().timeout(TimeoutKind.PER_TRY);
        }
        if (!retried(a, TryFailure.PER_TRY_TIMEOUT)) {
            fail(a, HttpResponseStatus.GATEWAY_TIMEOUT, ResponseFlag.UPSTREAM_REQUEST_TIMEOUT,
                    "upstream request timeout (per-try timeout)");
        }
    }

    private void deadlineExpired() {
        if (!exchange.waitingForUpstream()) {
            return;
        }
        if (guard != null) {
            guard.meters().timeout(TimeoutKind.DEADLINE);
        }
        Attempt a = attempt;
        if (exchange.response().started()) {
            // Part of the response went down already; the only honest signal left is to cut the stream.
            report(a, OutlierDetector.Outcome.GATEWAY_ERROR);
            a.closeUpstream();
            exchange.cut(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
            return;
        }
        if (a != null && (a.upstream() != null || a.timer != null)) {
            report(a, OutlierDetector.Outcome.GATEWAY_ERROR);
        }
        cancelTimers();
        if (a != null) {
            a.end();
        }
        info.flag(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT);
        exchange.localFailure(HttpResponseStatus.GATEWAY_TIMEOUT, -1, "upstream request timeout");
    }

    // ---- what the try tells -----------------------------------------------------------------------------------

    void connectFailed(Attempt a, Throwable cause) {
        if (a != attempt || !exchange.waitingForUpstream()) {
            return;
        }
        if (guard != null && cause instanceof ConnectTimeoutException) {
            guard.meters().timeout(TimeoutKind.CONNECT);
        }
        if (retried(a, TryFailure.CONNECT_FAILURE)) {
            return;
        }
        // The caller learns the reason; the endpoint and the socket error stay in the access log.
        info.details("connection failure to " + a.addressText() + ": " + LocalReplies.describe(cause));
        fail(a, HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlag.UPSTREAM_CONNECT_FAILURE,
                "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
    }

    void overflow(Attempt a, ConcurrencyLimits.Limit limit) {
        if (a != attempt || !exchange.waitingForUpstream()) {
            return;
        }
        if (guard != null) {
            guard.meters().overflow(limit);
        }
        fail(a, HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlag.UPSTREAM_OVERFLOW,
                "upstream overflow: " + info.destinationService() + " has its maximum of " + limit.label());
    }

    void upstreamRead(Attempt a, Object msg) {
        if (a != attempt || exchange.finished()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse res) {
            int code = res.status().code();
            if (code == 101 && !route.h2() && exchange.switchToTunnel(res, a)) {
                return;
            }
            if (code >= 100 && code < 200) {
                exchange.response().informational(res);
                return;
            }
            if (retryResponse(a, res)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            // From here on nothing is retried: the try's own limit is over and the replay copies can go.
            a.responding(res, route.h2());
            request.stopRetaining();
            exchange.response().start(res, a.identity == null ? null : a.identity.namespace());
        }
        exchange.responsePart(msg);
    }

    /**
     * The response head of a try, before anything of it went downstream: tells outlier detection how the endpoint
     * did, and retries when the rules say so. The rejected response is dropped with its connection.
     */
    private boolean retryResponse(Attempt a, HttpResponse res) {
        int code = res.status().code();
        report(a, OutlierDetector.classify(code));
        RetryReason reason = retries.reasonFor(res, info.grpc());
        if (reason == null) {
            return false;
        }
        long retryAfter = Backoff.retryAfterNanos(res.headers().get(HttpHeaderNames.RETRY_AFTER),
                pc.environment().clock().millis());
        if (retry(reason, Math.max(0, retryAfter))) {
            return true;
        }
        if (retries.limitReached()) {
            info.flag(ResponseFlag.RETRY_LIMIT_EXCEEDED);
        }
        return false;
    }

    void upstreamClosed(Attempt a, Throwable cause, boolean refusedStream) {
        if (a != attempt || !exchange.waitingForUpstream()) {
            return;
        }
        if (!exchange.response().started()) {
            TryFailure failure = refusedStream ? TryFailure.REFUSED_STREAM
                    : a.reused() && !route.h2() ? TryFailure.POOLED_CONNECTION_CLOSED
                    : TryFailure.RESET_BEFORE_RESPONSE;
            if (retried(a, failure)) {
                return;
            }
            String reason = refusedStream ? "refused stream" : "connection termination";
            info.details(reason + " by " + a.addressText()
                    + (cause == null ? "" : ": " + LocalReplies.describe(cause)));
            fail(a, HttpResponseStatus.SERVICE_UNAVAILABLE, ResponseFlag.UPSTREAM_CONNECTION_TERMINATION,
                    "upstream connect error or disconnect/reset before headers. reset reason: " + reason);
            return;
        }
        if (!exchange.response().done()) {
            // Part of the response went down already; the only honest signal left is to cut the stream.
            report(a, OutlierDetector.Outcome.GATEWAY_ERROR);
            exchange.cut(ResponseFlag.UPSTREAM_CONNECTION_TERMINATION);
        }
    }

    // ---- end -----------------------------------------------------------------------------------------------

    /** The exchange answered by itself or broke off: no timer may fire and no try goes on. */
    void cancel() {
        cancelTimers();
        if (attempt != null) {
            attempt.end();
        }
    }

    /**
     * The exchange ended: timers stop, the try's stream goes back to its pool when {@code reusable} (and its own
     * keep-alive allows) or is closed, and the circuit breaker's slots are given back.
     */
    void finish(boolean reusable, boolean complete) {
        if (attempt != null) {
            attempt.finish(reusable && attempt.upstreamKeepAlive, complete);
        }
        handedOver();
    }

    /** The connections are done with (a WebSocket tunnel took them over): timers stop, slots are given back. */
    void handedOver() {
        cancelTimers();
        retries.release();
        if (holdsRequestSlot) {
            guard.limits().releaseRequest();
            holdsRequestSlot = false;
        }
    }

    private void cancelTimers() {
        deadline.cancel();
        if (waitTimer != null) {
            waitTimer.cancel(false);
            waitTimer = null;
        }
        if (attempt != null) {
            attempt.cancelTimer();
        }
    }

    private ScheduledFuture<?> schedule(Runnable task, long nanos) {
        return downstream.eventLoop().schedule(task, nanos, TimeUnit.NANOSECONDS);
    }
}
