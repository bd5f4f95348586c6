package io.remora.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

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

    /** {@link #strip}'s names, each a bit of {@link #present}: Connection, TE and Upgrade, then {@link #ALWAYS}. */
    private static final AsciiString[] NAMES = new AsciiString[3 + ALWAYS.length];
    private static final int CONNECTION_BIT = 1;
    private static final int TE_BIT = 1 << 1;
    private static final int UPGRADE_BIT = 1 << 2;

    static {
        NAMES[0] = HttpHeaderNames.CONNECTION;
        NAMES[1] = HttpHeaderNames.TE;
        NAMES[2] = HttpHeaderNames.UPGRADE;
        System.arraycopy(ALWAYS, 0, NAMES, 3, ALWAYS.length);
    }

    /**
     * Strips hop-by-hop headers. {@code TE: trailers} is kept (gRPC needs it end to end); Transfer-Encoding
     * is left to the codecs, which re-frame the body per hop. One pass over the names finds which are there, so a
     * head without any (most requests) costs no lookups, and each one there costs one removal.
     *
     * @param keepUpgrade true for a WebSocket upgrade being tunnelled
     */
    static void strip(HttpHeaders headers, boolean keepUpgrade) {
        int present = present(headers);
        if ((present & CONNECTION_BIT) != 0) {
            String connection = headers.get(HttpHeaderNames.CONNECTION);
            if (!connection.equalsIgnoreCase("keep-alive") && !connection.equalsIgnoreCase("close")) {
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
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        for (int i = 0; i < ALWAYS.length; i++) {
            if ((present & (1 << (3 + i))) != 0) {
                headers.remove(ALWAYS[i]);
            }
        }
        if ((present & TE_BIT) != 0) {
            String te = headers.get(HttpHeaderNames.TE);
            if (te != null && !te.equalsIgnoreCase("trailers")) {
                headers.remove(HttpHeaderNames.TE);
            }
        }
        if (keepUpgrade) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderNames.UPGRADE);
        } else if ((present & UPGRADE_BIT) != 0) {
            headers.remove(HttpHeaderNames.UPGRADE);
        }
    }

    /** Which of {@link #NAMES} the head carries, as bits (names compare without case, length first). */
    private static int present(HttpHeaders headers) {
        int bits = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].contentEqualsIgnoreCase(name)) {
                    bits |= 1 << i;
                    break;
                }
            }
        }
        return bits;
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
