package io.remora.proxy.it.http;

import io.remora.proxy.testing.Digests;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 client on a plain socket, for what the JDK client hides: pipelining, exact bytes on the wire,
 * {@code Expect: 100-continue}, connection closes and truncated bodies. Every read has a timeout, so a
 * missing response fails instead of hanging.
 */
final class RawHttp implements AutoCloseable {
    static final int READ_TIMEOUT_MILLIS = 20_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(InetSocketAddress address) throws IOException {
        this(address, 0);
    }

    /** @param receiveBuffer SO_RCVBUF to set before connecting (0: the system default) */
    RawHttp(InetSocketAddress address, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        socket.connect(address, 5_000);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    Socket socket() {
        return socket;
    }

    InputStream input() {
        return in;
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** A response head: status line and header fields in order. */
    record Head(String version, int status, List<String[]> headers) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        boolean chunked() {
            String te = header("transfer-encoding");
            return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        }

        long contentLength() {
            String cl = header("content-length");
            return cl == null ? -1 : Long.parseLong(cl.trim());
        }
    }

    /** A whole response with its body and (for chunked bodies) trailer fields. */
    record Response(Head head, byte[] body, List<String[]> trailers) {
        int status() {
            return head.status();
        }

        String header(String name) {
            return head.header(name);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String trailer(String name) {
            for (String[] h : trailers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }
    }

    /** Reads the next response head (an informational one included). */
    Head readHead() throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            throw new EOFException("connection closed before a response head");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not a status line: " + statusLine);
        }
        return new Head(parts[0], Integer.parseInt(parts[1]), readFields(in));
    }

    /** Reads a whole response to a request with the given method; informational responses are skipped. */
    Response readResponse(String method) throws IOException {
        Head head;
        do {
            head = readHead();
        } while (head.status() >= 100 && head.status() < 200);
        return readBody(head, method);
    }

    Response readResponse() throws IOException {
        return readResponse("GET");
    }

    /** Reads the body that follows {@code head} into memory. */
    Response readBody(Head head, String method) throws IOException {
        BodyStream body = body(head, method);
        byte[] bytes = body.readAllBytes();
        return new Response(head, bytes, body.trailers());
    }

    /** The body that follows {@code head}, as a stream; trailers are known once it is read to its end. */
    BodyStream body(Head head, String method) {
        int s = head.status();
        if (method.equals("HEAD") || s == 204 || s == 304 || (s >= 100 && s < 200)) {
            return new BodyStream(in, 0, false);
        }
        if (head.chunked()) {
            return new BodyStream(in, -1, true);
        }
        return new BodyStream(in, head.contentLength(), false);
    }

    /** True when the peer closes the connection (EOF or reset) within the read timeout with no more bytes. */
    boolean closedByPeer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            // a reset is a close too
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** What a streamed exchange received: the head, the body's size and SHA-256, and trailers. */
    record Digested(Head head, long bodyBytes, String sha256, List<String[]> trailers) {
    }

    /**
     * POSTs {@code size} bytes of seed {@code seed} to {@code path} on a new connection, writing the request
     * from a second thread while this one reads and digests the response, so a server that streams its
     * response while the request still arrives (an echo) is never blocked by an unread response.
     *
     * @param chunked frame the request body chunked (64 KiB chunks) instead of with content-length
     */
    static Digested duplexPost(InetSocketAddress at, String path, long seed, long size, boolean chunked)
            throws Exception {
        try (RawHttp c = new RawHttp(at)) {
            CompletableFuture<Void> sent = new CompletableFuture<>();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream o = new BufferedOutputStream(c.out, 64 * 1024);
                    String head = "POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1:" + at.getPort()
                            + "\r\ncontent-type: application/octet-stream\r\n"
                            + (chunked ? "transfer-encoding: chunked\r\n" : "content-length: " + size + "\r\n")
                            + "\r\n";
                    o.write(head.getBytes(StandardCharsets.ISO_8859_1));
                    InputStream body = Digests.randomStream(seed, size);
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = body.read(buf)) > 0) {
                        if (chunked) {
                            o.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        }
                        o.write(buf, 0, n);
                        if (chunked) {
                            o.write(CRLF);
                        }
                    }
                    if (chunked) {
                        o.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    o.flush();
                    sent.complete(null);
                } catch (Throwable e) {
                    sent.completeExceptionally(e);
                }
            }, "raw-http-writer");
            writer.setDaemon(true);
            writer.start();
            Head head;
            do {
                head = c.readHead();
            } while (head.status() >= 100 && head.status() < 200);
            BodyStream body = c.body(head, "POST");
            MessageDigest md = Digests.sha256();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = body.read(buf, 0, buf.length)) >= 0) {
                md.update(buf, 0, n);
                total += n;
            }
            sent.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return new Digested(head, total, HexFormat.of().formatHex(md.digest()), body.trailers());
        }
    }

    private static final byte[] CRLF = {'\r', '\n'};

    /** A body: content-length delimited, chunked, or up to the end of the connection (length -1, not chunked). */
    static final class BodyStream extends InputStream {
        private final InputStream in;
        private final boolean chunked;
        private long left;
        private boolean done;
        private List<String[]> trailers = List.of();

        BodyStream(InputStream in, long length, boolean chunked) {
            this.in = in;
            this.chunked = chunked;
            this.left = chunked ? 0 : length;
            this.done = !chunked && length == 0;
        }

        List<String[]> trailers() {
            return trailers;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            if (chunked && left == 0) {
                String sizeLine = readLine(in);
                if (sizeLine == null) {
                    throw new EOFException("connection closed before a chunk size");
                }
                int semi = sizeLine.indexOf(';');
                left = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    trailers = readFields(in);
                    done = true;
                    return -1;
                }
            }
            int want = left < 0 ? len : (int) Math.min(len, left);
            int n = in.read(b, off, want);
            if (n < 0) {
                if (left < 0) {
                    done = true;
                    return -1;
                }
                throw new EOFException("connection closed with " + left + " body bytes still expected");
            }
            if (left > 0) {
                left -= n;
                if (left == 0) {
                    if (chunked) {
                        String crlf = readLine(in);
                        if (crlf == null || !crlf.isEmpty()) {
                            throw new IOException("chunk not followed by CRLF: " + crlf);
                        }
                    } else {
                        done = true;
                    }
                }
            }
            return n;
        }
    }

    /** One CRLF-terminated line without its CRLF, or null at EOF before any byte. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                byte[] b = line.toByteArray();
                int len = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                return new String(b, 0, len, StandardCharsets.ISO_8859_1);
            }
            line.write(c);
            if (line.size() > 64 * 1024) {
                throw new IOException("line too long");
            }
        }
        if (line.size() == 0) {
            return null;
        }
        throw new EOFException("connection closed in the middle of a line: " + line);
    }

    static List<String[]> readFields(InputStream in) throws IOException {
        List<String[]> fields = new ArrayList<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IOException("not a header field: " + line);
            }
            fields.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
        if (line == null) {
            throw new EOFException("connection closed inside a header block");
        }
        return fields;
    }
}
