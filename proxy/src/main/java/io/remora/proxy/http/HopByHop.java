package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.List;

/**
 * Removes the headers that describe one connection rather than the message (RFC 9110 §7.6.1), plus any
 * header named in {@code Connection}. Upgrade requests keep {@code Connection: upgrade} and {@code Upgrade}
 * so the upgrade reaches the upstream.
 */
final class HopByHop {
    private HopByHop() {
    }

    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
    private static final AsciiString[] ALWAYS = {
        HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION,
        PROXY_CONNECTION,
        HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text(),
        HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
        HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
        HttpConversionUtil.ExtensionHeaderNames.PATH.text(),
    };

    /**
     * Strips hop-by-hop headers. {@code TE: trailers} is kept (gRPC needs it end to end); Transfer-Encoding
     * is left to the codecs, which re-frame the body per hop.
     *
     * @param keepUpgrade true for a WebSocket upgrade being tunnelled
     */
    static void strip(HttpHeaders headers, boolean keepUpgrade) {
        String connection = headers.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            List<String> named = tokens(connection);
            for (int i = 0; i < named.size(); i++) {
                String name = named.get(i);
                if (keepUpgrade && (name.equalsIgnoreCase("upgrade"))) {
                    continue;
                }
                if (!name.equalsIgnoreCase("close") && !name.equalsIgnoreCase("keep-alive")) {
                    headers.remove(name);
                }
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
        String te = headers.get(HttpHeaderNames.TE);
        if (te != null && !te.equalsIgnoreCase("trailers")) {
            headers.remove(HttpHeaderNames.TE);
        }
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderNames.UPGRADE);
        } else {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
    }

    private static List<String> tokens(String value) {
        List<String> out = new ArrayList<>(2);
        int start = 0;
        for (int i = 0; i <= value.length(); i++) {
            if (i == value.length() || value.charAt(i) == ',') {
                String t = value.substring(start, i).trim();
                if (!t.isEmpty()) {
                    out.add(t);
                }
                start = i + 1;
            }
        }
        return out;
    }

    /** True for {@code Connection: upgrade} + {@code Upgrade: websocket}. */
    static boolean isWebSocketUpgrade(HttpHeaders headers) {
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderNames.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, "websocket", true);
    }
}
