package io.remora.proxy.tracing;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;

/** Request headers for tests, from name-value pairs (a name given twice is two headers). */
final class TestHeaders {
    private TestHeaders() {
    }

    static HttpHeaders of(String... namesAndValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            h.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return h;
    }
}
