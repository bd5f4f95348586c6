package io.remora.proxy.policy;

import io.remora.config.GrpcStatus;
import io.remora.config.Route;
import io.remora.config.RetryOn;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RetryPolicyTest {
    private static final RetryPolicy DEFAULTS = new RetryPolicy(Route.Retries.defaults());

    @Test
    void failuresBeforeTheRequestReachedTheUpstreamAreRetriedForEveryMethod() {
        assertThat(DEFAULTS.reason(TryFailure.CONNECT_FAILURE, 0, -1, false)).isEqualTo(RetryReason.CONNECT_FAILURE);
        assertThat(DEFAULTS.reason(TryFailure.REFUSED_STREAM, 0, -1, false)).isEqualTo(RetryReason.REFUSED_STREAM);
    }

    @Test
    void aReusedConnectionClosingIsRetriedOnlyForIdempotentMethodsTheRequestMayHaveBeenProcessed() {
        assertThat(DEFAULTS.reason(TryFailure.POOLED_CONNECTION_CLOSED, 0, -1, false)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.POOLED_CONNECTION_CLOSED, 0, -1, true))
                .isEqualTo(RetryReason.POOLED_CONNECTION_CLOSED);
    }

    @Test
    void failuresAfterTheUpstreamMayHaveActedAreRetriedOnlyForIdempotentMethods() {
        assertThat(DEFAULTS.reason(TryFailure.RESET_BEFORE_RESPONSE, 0, -1, false)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.RESET_BEFORE_RESPONSE, 0, -1, true))
                .isEqualTo(RetryReason.RESET_BEFORE_RESPONSE);
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 503, -1, false)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 503, -1, true)).isEqualTo(RetryReason.GATEWAY_ERROR);
        assertThat(DEFAULTS.reason(TryFailure.PER_TRY_TIMEOUT, 0, -1, false)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.PER_TRY_TIMEOUT, 0, -1, true)).isEqualTo(RetryReason.PER_TRY_TIMEOUT);
    }

    @Test
    void byDefaultOnlyGatewayErrorsAreRetriedNotTheApplicationsOwnAnswers() {
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 502, -1, true)).isEqualTo(RetryReason.GATEWAY_ERROR);
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 504, -1, true)).isEqualTo(RetryReason.GATEWAY_ERROR);
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 500, -1, true)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 429, -1, true)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 200, -1, true)).isNull();
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 200, GrpcStatus.UNAVAILABLE.code(), true))
                .isEqualTo(RetryReason.GATEWAY_ERROR);
        assertThat(DEFAULTS.reason(TryFailure.RESPONSE, 200, GrpcStatus.UNAVAILABLE.code(), false)).isNull();
    }

    @Test
    void listedCodesServerErrorsAndTheOptInForNonIdempotentMethods() {
        RetryPolicy p = new RetryPolicy(new Route.Retries(3, null, List.of(RetryOn.SERVER_ERROR), List.of(429),
                List.of(GrpcStatus.RESOURCE_EXHAUSTED), true, null));
        assertThat(p.reason(TryFailure.RESPONSE, 500, -1, false)).isEqualTo(RetryReason.SERVER_ERROR);
        assertThat(p.reason(TryFailure.RESPONSE, 429, -1, false)).isEqualTo(RetryReason.RETRIABLE_STATUS_CODE);
        assertThat(p.reason(TryFailure.RESPONSE, 200, GrpcStatus.RESOURCE_EXHAUSTED.code(), false))
                .isEqualTo(RetryReason.RETRIABLE_STATUS_CODE);
        assertThat(p.reason(TryFailure.CONNECT_FAILURE, 0, -1, true)).isNull();
        assertThat(p.attempts()).isEqualTo(3);
    }

    @Test
    void idempotentMethodsAreThoseOfRfc9110() {
        assertThat(List.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))
                .allMatch(RetryPolicy::idempotent);
        assertThat(List.of("POST", "PATCH", "CONNECT", "get")).noneMatch(RetryPolicy::idempotent);
    }

    @Test
    void noneRetriesNothing() {
        assertThat(RetryPolicy.NONE.attempts()).isEqualTo(1);
        for (TryFailure f : TryFailure.values()) {
            assertThat(RetryPolicy.NONE.reason(f, 503, 14, true)).isNull();
        }
    }
}
