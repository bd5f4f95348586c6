package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;

/**
 * Responses the proxy makes itself (no route, no upstream, bad request...). Plain text with the reason
 * for HTTP clients; for gRPC clients a trailers-only response carrying the matching gRPC status, as
 * Envoy does, so gRPC libraries surface a status instead of a protocol error.
 */
public final class LocalReplies {
    private LocalReplies() {
    }

    /** Names the response flag on every local reply so a client can tell the proxy answered. */
    public static final AsciiString FLAGS_HEADER = AsciiString.cached("x-remora-response-flags");
    static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");

    static FullHttpResponse http(ByteBufAllocator alloc, HttpResponseStatus status, String flags, String message) {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuf content = alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (flags != null && !ResponseFlags.NONE.equals(flags)) {
            res.headers().set(FLAGS_HEADER, flags);
        }
        return res;
    }

    static FullHttpResponse grpc(ByteBufAllocator alloc, int grpcStatus, String flags, String message) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                alloc.buffer(0));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC)
                .set(GRPC_STATUS, Integer.toString(grpcStatus))
                .set(GRPC_MESSAGE, percentEncode(message));
        if (flags != null && !ResponseFlags.NONE.equals(flags)) {
            res.headers().set(FLAGS_HEADER, flags);
        }
        return res;
    }

    /** gRPC status for an HTTP status the proxy would have answered (gRPC's own HTTP-to-gRPC mapping). */
    static int grpcStatusFor(int httpStatus) {
        return switch (httpStatus) {
            case 400 -> 13; // INTERNAL
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7; // PERMISSION_DENIED
            case 404 -> 12; // UNIMPLEMENTED
            case 429, 502, 503 -> 14; // UNAVAILABLE
            case 504 -> 4; // DEADLINE_EXCEEDED
            default -> 2; // UNKNOWN
        };
    }

    /** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
    static String percentEncode(String s) {
        StringBuilder sb = null;
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean plain = b >= 0x20 && b <= 0x7e && b != '%';
            if (!plain && sb == null) {
                sb = new StringBuilder(bytes.length + 16);
                sb.append(new String(bytes, 0, i, StandardCharsets.US_ASCII));
            }
            if (sb != null) {
                if (plain) {
                    sb.append((char) b);
                } else {
                    sb.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** A grpc-status value as a number; -1 when it is missing or not one (at most two digits). */
    static int grpcCode(String value) {
        if (value == null || value.isEmpty() || value.length() > 2) {
            return -1;
        }
        int code = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            code = code * 10 + (c - '0');
        }
        return code;
    }

    /** An exception as the log says it: its message, or its type when it has none. */
    static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown";
        }
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m;
    }
}
