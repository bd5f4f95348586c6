package io.remora.bench.jmh;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Request heads as {@code HttpServerCodec} hands them to the proxy, made anew for each call because the proxy edits
 * them in place. {@link #fresh()} on its own is the benchmarks' baseline: what a header edit costs is its figure less
 * the baseline's. The names and values are the same String objects every time, where the codec makes new ones: the
 * baseline does not count those Strings, only the head and its entries.
 */
public final class RequestHeads {
    private static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory();

    /** What an app's HTTP client sends: no hop-by-hop header, a normal path, no request id. */
    public static final String TYPICAL = "typical";
    /**
     * A client behind another proxy: hop-by-hop headers (one named in {@code Connection}), a path to normalize, an
     * {@code x-forwarded-for} and a request id already there.
     */
    public static final String MESSY = "messy";

    private final HttpMethod method;
    private final String uri;
    private final String[] fields;

    private RequestHeads(HttpMethod method, String uri, String... fields) {
        this.method = method;
        this.uri = uri;
        this.fields = fields;
    }

    /** {@link #TYPICAL} or {@link #MESSY}. */
    public static RequestHeads of(String kind) {
        switch (kind) {
            case TYPICAL:
                return new RequestHeads(HttpMethod.GET, "/api/v1/reviews/12345?limit=10",
                        "host", BenchMesh.ROUTED_HOST,
                        "user-agent", "okhttp/4.12.0",
                        "accept", "application/json",
                        "accept-encoding", "gzip",
                        "authorization", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3ZWIifQ.c2lnbmF0dXJl",
                        "x-tenant", "silver",
                        "cookie", "session=4f2a9c1e7b; theme=dark");
            case MESSY:
                return new RequestHeads(HttpMethod.GET, "/api/v1//reviews/./12345?limit=10",
                        "host", BenchMesh.ROUTED_HOST,
                        "user-agent", "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
                        "accept", "application/json",
                        "accept-encoding", "gzip, deflate, br",
                        "connection", "keep-alive, x-debug",
                        "keep-alive", "timeout=5",
                        "proxy-connection", "keep-alive",
                        "te", "trailers",
                        "x-debug", "1",
                        "x-forwarded-for", "203.0.113.9",
                        "x-request-id", "5b0e1c2d-7a41-4e9b-8c3f-2d6a9e0f1b7c",
                        "cookie", "session=4f2a9c1e7b; theme=dark");
            default:
                throw new IllegalArgumentException("unknown request head kind " + kind);
        }
    }

    /** A new head with this kind's method, target and fields, in order. */
    public HttpRequest fresh() {
        HttpHeaders headers = HEADERS.newHeaders();
        for (int i = 0; i < fields.length; i += 2) {
            headers.add(fields[i], fields[i + 1]);
        }
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri, headers);
    }
}
