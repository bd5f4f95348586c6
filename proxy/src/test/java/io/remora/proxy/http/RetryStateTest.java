package io.remora.proxy.http;

import io.remora.config.HostPort;
import io.remora.config.LoadBalancer;
import io.remora.config.Metadata;
import io.remora.config.Protocol;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.proxy.cluster.ServiceClusters;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.policy.ConcurrencyLimits;
import io.remora.proxy.policy.RetryPolicy;
import io.remora.proxy.policy.RetryReason;
import io.remora.proxy.policy.TryFailure;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/** A request's retries against the service's shared retry slots: taken per retry, given back, and URX told. */
class RetryStateTest {
    private static final RetryPolicy THREE = new RetryPolicy(new Route.Retries(3, null, null, null, null, false,
            null));
    private static final RandomGenerator ZERO = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return 0;
        }
    };

    private static ServiceGuard guard(int maxRetries) {
        Service.CircuitBreaker breaker = new Service.CircuitBreaker(true, 100, 100, 100, maxRetries);
        Service service = new Service(Metadata.of("payments", "shop"), new Service.Spec(List.of(), List.of(),
                Protocol.HTTP, List.of(new Service.Endpoint(HostPort.parse("10.0.0.1:80"), Map.of(), 1, null)),
                List.of(), new Service.TrafficPolicy(LoadBalancer.ROUND_ROBIN, null, null, breaker, null, null)));
        return ServiceClusters.build(service).guard();
    }

    private static long next(RetryState r, int attempt) {
        return r.next(attempt, RetryReason.CONNECT_FAILURE, 0, true, 0, 0, ZERO);
    }

    @Test
    void aRetryHoldsOneSlotOfTheServiceUntilTheNextOrTheEnd() {
        ServiceGuard g = guard(1);
        RetryState first = new RetryState(THREE, g, true);
        RetryState second = new RetryState(THREE, g, true);
        assertThat(next(first, 1)).isZero();
        assertThat(g.limits().inUse(ConcurrencyLimits.Limit.RETRIES)).isEqualTo(1);
        // The service's only retry slot is taken: another request's retry overflows.
        assertThat(next(second, 1)).isEqualTo(-1);
        // The same request retrying again gives its slot back first, so it may take it again.
        assertThat(next(first, 2)).isZero();
        assertThat(g.limits().inUse(ConcurrencyLimits.Limit.RETRIES)).isEqualTo(1);
        first.release();
        assertThat(g.limits().inUse(ConcurrencyLimits.Limit.RETRIES)).isZero();
        assertThat(next(second, 1)).isZero();
        second.release();
        second.release();
        assertThat(g.limits().inUse(ConcurrencyLimits.Limit.RETRIES)).isZero();
    }

    @Test
    void retryLimitReachedOnlyAfterRetriesWereMadeAndTheRulesRanOut() {
        RetryState r = new RetryState(THREE, null, true);
        assertThat(next(r, 1)).isZero();
        assertThat(next(r, 2)).isZero();
        assertThat(r.limitReached()).isFalse();
        assertThat(next(r, 3)).isEqualTo(-1);
        assertThat(r.limitReached()).isTrue();
        assertThat(r.retries()).isEqualTo(2);

        RetryState once = new RetryState(new RetryPolicy(new Route.Retries(1, null, null, null, null, false, null)),
                null, true);
        assertThat(next(once, 1)).isEqualTo(-1);
        // Nothing was retried: the failure alone is told, without URX.
        assertThat(once.limitReached()).isFalse();
    }

    @Test
    void theReasonsFollowTheMethodsIdempotence() {
        RetryState safe = new RetryState(RetryPolicy.NONE, null, true);
        RetryState unsafe = new RetryState(THREE, null, false);
        assertThat(unsafe.reasonFor(TryFailure.CONNECT_FAILURE)).isEqualTo(RetryReason.CONNECT_FAILURE);
        assertThat(unsafe.reasonFor(TryFailure.RESET_BEFORE_RESPONSE)).isNull();
        assertThat(new RetryState(THREE, null, true).reasonFor(TryFailure.RESET_BEFORE_RESPONSE))
                .isEqualTo(RetryReason.RESET_BEFORE_RESPONSE);
        assertThat(safe.reasonFor(new io.netty.handler.codec.http.DefaultHttpResponse(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                io.netty.handler.codec.http.HttpResponseStatus.OK), false)).isNull();
    }
}
