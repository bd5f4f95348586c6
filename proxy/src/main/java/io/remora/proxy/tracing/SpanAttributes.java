package io.remora.proxy.tracing;

import io.opentelemetry.api.common.AttributeKey;

import java.util.Set;

/**
 * The attributes of a request span: OpenTelemetry's HTTP semantic conventions ({@code http.request.method},
 * {@code url.path}, {@code server.address}, {@code http.response.status_code}...), and Envoy's and Istio's own tags
 * where the conventions have none ({@code response_flags}, {@code upstream_cluster}, {@code guid:x-request-id},
 * Istio's {@code source.principal} and {@code destination.principal}), so traces read as they do behind Envoy.
 */
final class SpanAttributes {
    static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> HTTP_REQUEST_METHOD_ORIGINAL =
            AttributeKey.stringKey("http.request.method_original");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> NETWORK_PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<Long> HTTP_REQUEST_RESEND_COUNT = AttributeKey.longKey("http.request.resend_count");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> RESPONSE_FLAGS = AttributeKey.stringKey("response_flags");
    static final AttributeKey<String> UPSTREAM_CLUSTER = AttributeKey.stringKey("upstream_cluster");
    static final AttributeKey<String> ROUTE_NAME = AttributeKey.stringKey("route_name");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("guid:x-request-id");
    static final AttributeKey<String> SOURCE_PRINCIPAL = AttributeKey.stringKey("source.principal");
    static final AttributeKey<String> DESTINATION_PRINCIPAL = AttributeKey.stringKey("destination.principal");
    static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

    /** The event a retry adds, and its attributes. */
    static final String RETRY_EVENT = "retry";
    static final AttributeKey<Long> RETRY_ATTEMPT = AttributeKey.longKey("retry.attempt");
    static final AttributeKey<String> RETRY_REASON = AttributeKey.stringKey("retry.reason");

    /** The conventions' value for what they have no name for: a method none of the known ones, an error of no kind. */
    static final String OTHER = "_OTHER";
    private static final Set<String> KNOWN_METHODS = Set.of("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH",
            "POST", "PUT", "TRACE");

    private SpanAttributes() {
    }

    /** Whether the conventions name {@code method}; others are recorded as {@value #OTHER}. */
    static boolean knownMethod(String method) {
        return method != null && KNOWN_METHODS.contains(method);
    }

    /** {@code url.path}: the path without its query, which can carry anything (tokens included). */
    static String path(String pathAndQuery) {
        if (pathAndQuery == null) {
            return null;
        }
        int query = pathAndQuery.indexOf('?');
        return query < 0 ? pathAndQuery : pathAndQuery.substring(0, query);
    }

    /** The host of an authority ({@code host}, {@code host:port}, {@code [v6]:port}), or null. */
    static String host(String authority) {
        if (authority == null || authority.isEmpty()) {
            return null;
        }
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            return close > 0 ? authority.substring(1, close) : null;
        }
        int colon = authority.indexOf(':');
        return colon < 0 ? authority : colon == authority.lastIndexOf(':') ? authority.substring(0, colon) : null;
    }

    /** The port of an authority, or -1 when it names none (or not a valid one). */
    static int port(String authority) {
        if (authority == null) {
            return -1;
        }
        int colon = authority.lastIndexOf(':');
        if (colon < 0 || colon == authority.length() - 1 || (authority.charAt(0) == '[' && colon < authority.indexOf(']'))
                || (authority.charAt(0) != '[' && colon != authority.indexOf(':'))) {
            return -1;
        }
        int port = 0;
        for (int i = colon + 1; i < authority.length(); i++) {
            char c = authority.charAt(i);
            if (c < '0' || c > '9' || i - colon > 5) {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port >= 1 && port <= 65535 ? port : -1;
    }
}
