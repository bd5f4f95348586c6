package io.remora.proxy.it.edge;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * HTTP/2 written and read as bytes (RFC 9113 frames, HPACK literals without indexing), so tests can send what no
 * well-behaved client library would: trickled prefaces, unfinished header blocks, floods of resets.
 */
final class RawH2 {
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int GOAWAY = 0x7;
    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;
    static final int ENHANCE_YOUR_CALM = 0xb;

    private RawH2() {
    }

    record Frame(int type, int flags, int stream, byte[] payload) {
        /** A GOAWAY's error code. */
        int errorCode() {
            return ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                    | (payload[7] & 0xff);
        }
    }

    static byte[] frame(int type, int flags, int stream, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (stream >>> 24);
        f[6] = (byte) (stream >>> 16);
        f[7] = (byte) (stream >>> 8);
        f[8] = (byte) stream;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    static byte[] emptySettings() {
        return frame(SETTINGS, 0, 0, new byte[0]);
    }

    /** A client's opening: the preface, then its (empty) SETTINGS. */
    static void open(OutputStream out) throws IOException {
        out.write(PREFACE);
        out.write(emptySettings());
    }

    static byte[] rstStream(int stream) {
        return frame(RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}); // CANCEL
    }

    /** A header block of literal fields without indexing (so no decoder state is needed). */
    static byte[] headerBlock(String... namesAndValues) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            out.write(0);
            literal(out, namesAndValues[i]);
            literal(out, namesAndValues[i + 1]);
        }
        return out.toByteArray();
    }

    /** A GET's header block for {@code path}. */
    static byte[] get(String path) {
        return headerBlock(":method", "GET", ":scheme", "http", ":path", path, ":authority", "x");
    }

    private static void literal(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        if (b.length < 127) {
            out.write(b.length);
        } else {
            out.write(127);
            int rest = b.length - 127;
            while (rest >= 128) {
                out.write((rest & 0x7f) | 0x80);
                rest >>>= 7;
            }
            out.write(rest);
        }
        out.write(b, 0, b.length);
    }

    /** Frames read until EOF, a reset, or {@code timeoutMillis} of silence; {@code closed} says which. */
    record Read(List<Frame> frames, boolean closed) {
        Frame goAway() {
            return frames.stream().filter(f -> f.type() == GOAWAY).findFirst().orElse(null);
        }
    }

    static Read readFrames(InputStream raw, java.net.Socket socket, int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        DataInputStream in = new DataInputStream(raw);
        List<Frame> frames = new ArrayList<>();
        try {
            while (true) {
                byte[] h = new byte[9];
                in.readFully(h);
                int length = ((h[0] & 0xff) << 16) | ((h[1] & 0xff) << 8) | (h[2] & 0xff);
                byte[] payload = new byte[length];
                in.readFully(payload);
                int stream = ((h[5] & 0x7f) << 24) | ((h[6] & 0xff) << 16) | ((h[7] & 0xff) << 8) | (h[8] & 0xff);
                frames.add(new Frame(h[3] & 0xff, h[4] & 0xff, stream, payload));
            }
        } catch (EOFException | SocketException e) {
            return new Read(frames, true);
        } catch (SocketTimeoutException e) {
            return new Read(frames, false);
        }
    }
}
