package io.remora.proxy.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.remora.config.Route;
import org.junit.jupiter.api.Test;

class SpanAttributesTest {
    @Test
    void theAuthoritySplitsIntoHostAndPort() {
        assertThat(SpanAttributes.host("payments.shop:8080")).isEqualTo("payments.shop");
        assertThat(SpanAttributes.port("payments.shop:8080")).isEqualTo(8080);
        assertThat(SpanAttributes.host("payments.shop")).isEqualTo("payments.shop");
        assertThat(SpanAttributes.port("payments.shop")).isEqualTo(-1);
        assertThat(SpanAttributes.host("[::1]:15006")).isEqualTo("::1");
        assertThat(SpanAttributes.port("[::1]:15006")).isEqualTo(15006);
        assertThat(SpanAttributes.port("[::1]")).isEqualTo(-1);
        assertThat(SpanAttributes.host("::1")).isNull();
        assertThat(SpanAttributes.port("::1")).isEqualTo(-1);
        assertThat(SpanAttributes.port("a:")).isEqualTo(-1);
        assertThat(SpanAttributes.port("a:0")).isEqualTo(-1);
        assertThat(SpanAttributes.port("a:65536")).isEqualTo(-1);
        assertThat(SpanAttributes.port("a:123456")).isEqualTo(-1);
        assertThat(SpanAttributes.port("a:8o")).isEqualTo(-1);
        assertThat(SpanAttributes.host("")).isNull();
        assertThat(SpanAttributes.host(null)).isNull();
        assertThat(SpanAttributes.port(null)).isEqualTo(-1);
    }

    @Test
    void thePathLosesItsQuery() {
        assertThat(SpanAttributes.path("/a/b?token=secret")).isEqualTo("/a/b");
        assertThat(SpanAttributes.path("/a/b")).isEqualTo("/a/b");
        assertThat(SpanAttributes.path(null)).isNull();
    }

    @Test
    void onlyTheConventionsMethodsAreNamed() {
        assertThat(SpanAttributes.knownMethod("GET")).isTrue();
        assertThat(SpanAttributes.knownMethod("PATCH")).isTrue();
        assertThat(SpanAttributes.knownMethod("get")).isFalse();
        assertThat(SpanAttributes.knownMethod("PURGE")).isFalse();
        assertThat(SpanAttributes.knownMethod(null)).isFalse();
    }

    @Test
    void spanNamesAreHostPortAndTheRoutesPathTemplate() {
        assertThat(SpanNames.of("reviews.default.svc.cluster.local", 9080, SpanNames.pathTemplate(null)))
                .isEqualTo("reviews.default.svc.cluster.local:9080/*");
        assertThat(SpanNames.pathTemplate(new Route.StringMatch(null, "/api/", null))).isEqualTo("/api/*");
        assertThat(SpanNames.pathTemplate(new Route.StringMatch(null, "/api*", null))).isEqualTo("/api*");
        assertThat(SpanNames.pathTemplate(new Route.StringMatch("/health", null, null))).isEqualTo("/health");
        assertThat(SpanNames.pathTemplate(new Route.StringMatch(null, null, "/users/[0-9]+"))).isEqualTo("/*");
    }
}
