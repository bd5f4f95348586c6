package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.remora.config.GrpcStatus;
import io.remora.config.HostPort;
import io.remora.config.LoadBalancer;
import io.remora.config.Metadata;
import io.remora.config.Protocol;
import io.remora.config.Route;
import io.remora.config.Service;
import io.remora.proxy.cluster.ServiceClusters;
import io.remora.proxy.cluster.ServiceGuard;
import io.remora.proxy.policy.Randomness;
import io.remora.proxy.route.RoutePolicy;
import io.remora.proxy.testing.ManualTicker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Each step before the first try, as a function of the rule's policy, the service's guard and the random source. */
class RequestStepsTest {
    private final ManualTicker ticker = new ManualTicker();
    private final Randomness seeded = Randomness.seeded(7);

    private RoutePolicy policy(Route.Fault fault, Route.RateLimit rateLimit) {
        return RoutePolicy.compile(new Route.Rule(null, null, null, null, null, fault, rateLimit), ticker);
    }

    private static ServiceGuard guard(Service.CircuitBreaker breaker) {
        Service service = new Service(Metadata.of("payments", "shop"), new Service.Spec(List.of(), List.of(),
                Protocol.HTTP, List.of(new Service.Endpoint(HostPort.parse("10.0.0.1:80"), Map.of(), 1, null)),
                List.of(), new Service.TrafficPolicy(LoadBalancer.ROUND_ROBIN, null, null, breaker, null, null)));
        return ServiceClusters.build(service).guard();
    }

    @Test
    void withNoPolicyAndNoGuardEveryStepLetsTheRequestThrough() {
        assertThat(RequestSteps.beforeAdmission(RoutePolicy.NONE, null, seeded, false))
                .isSameAs(RequestSteps.Continue.INSTANCE);
        assertThat(RequestSteps.admission(null, "x")).isSameAs(RequestSteps.Continue.INSTANCE);
    }

    @Test
    void theRateLimitRefusesOnceItsTokensAreSpentAndAgainAfterAFill() {
        RoutePolicy p = policy(null, new Route.RateLimit(2, 2, Duration.ofSeconds(1)));
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, false)).isSameAs(RequestSteps.Continue.INSTANCE);
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, false)).isSameAs(RequestSteps.Continue.INSTANCE);
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, false)).isInstanceOfSatisfying(
                RequestSteps.Reply.class, r -> {
                    assertThat(r.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
                    assertThat(r.flags()).isEqualTo("RL");
                });
        ticker.advance(Duration.ofSeconds(1));
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, false)).isSameAs(RequestSteps.Continue.INSTANCE);
    }

    @Test
    void anAbortAnswersWithItsStatusAndForGrpcWithItsGrpcStatus() {
        RoutePolicy p = policy(new Route.Fault(new Route.Abort(100, 418, GrpcStatus.RESOURCE_EXHAUSTED), null), null);
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, false)).isInstanceOfSatisfying(
                RequestSteps.Reply.class, r -> {
                    assertThat(r.status().code()).isEqualTo(418);
                    assertThat(r.grpcStatus()).isEqualTo(-1);
                    assertThat(r.flags()).isEqualTo("FI");
                });
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, true)).isInstanceOfSatisfying(
                RequestSteps.Reply.class,
                r -> assertThat(r.grpcStatus()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED.code()));
    }

    @Test
    void aDelayHoldsTheRequestForItsTime() {
        RoutePolicy p = policy(new Route.Fault(null, new Route.Delay(100, Duration.ofMillis(250))), null);
        assertThat(RequestSteps.beforeAdmission(p, null, seeded, false))
                .isEqualTo(new RequestSteps.Delay(Duration.ofMillis(250).toNanos()));
    }

    @Test
    void admissionHoldsASlotAndRefusesOverTheLimit() {
        ServiceGuard g = guard(new Service.CircuitBreaker(true, 10, 10, 1, 3));
        assertThat(RequestSteps.admission(g, "payments.shop")).isSameAs(RequestSteps.Continue.INSTANCE);
        assertThat(RequestSteps.admission(g, "payments.shop")).isInstanceOfSatisfying(RequestSteps.Reply.class, r -> {
            assertThat(r.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
            assertThat(r.flags()).isEqualTo("UO");
            assertThat(r.message()).contains("payments.shop has its maximum of requests in flight");
        });
        g.limits().releaseRequest();
        assertThat(RequestSteps.admission(g, "payments.shop")).isSameAs(RequestSteps.Continue.INSTANCE);
    }
}
