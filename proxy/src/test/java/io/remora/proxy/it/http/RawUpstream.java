package io.remora.proxy.it.http;

import io.remora.proxy.testing.Digests;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 upstream written on plain sockets, doing on purpose what a well-behaved server never does:
 * closing mid-response, closing without a response, or writing a body as fast as the socket takes it (with
 * a counter of what was written). Connection {@code i} (from 0) is served by behaviour {@code i}, the last
 * behaviour serving every later connection. One thread per connection.
 */
final class RawUpstream implements AutoCloseable {

    /** What the upstream does with one accepted connection. */
    interface Behaviour {
        void serve(RawUpstream upstream, Socket socket, InputStream in, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final List<Behaviour> behaviours;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong bodyBytesWritten = new AtomicLong();
    private final AtomicLong bodyBytesRead = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    RawUpstream(Behaviour... behaviours) throws IOException {
        this.behaviours = List.of(behaviours);
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        acceptor = new Thread(this::acceptLoop, "raw-upstream-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    int connectionCount() {
        return accepted.get();
    }

    /** Request heads read so far. */
    int requestCount() {
        return requests.get();
    }

    /** Body bytes handed to the kernel so far by {@link #fastBody}. */
    long bodyBytesWritten() {
        return bodyBytesWritten.get();
    }

    /** Request body bytes read so far by {@link #slowSink}. */
    long bodyBytesRead() {
        return bodyBytesRead.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(s);
            int index = accepted.getAndIncrement();
            Behaviour b = behaviours.get(Math.min(index, behaviours.size() - 1));
            Thread t = new Thread(() -> {
                try (s) {
                    s.setTcpNoDelay(true);
                    b.serve(this, s, new BufferedInputStream(s.getInputStream()), s.getOutputStream());
                } catch (IOException e) {
                    // the peer went away: nothing to do for a test upstream
                }
            }, "raw-upstream-" + index);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Reads one request head (request line and fields); false at EOF before it. Bodies are not expected. */
    boolean readRequestHead(InputStream in) throws IOException {
        return readRequestFields(in) != null;
    }

    /** Reads one request head and returns its fields, or null at EOF before it. */
    List<String[]> readRequestFields(InputStream in) throws IOException {
        String line = RawHttp.readLine(in);
        if (line == null) {
            return null;
        }
        List<String[]> fields = RawHttp.readFields(in);
        requests.incrementAndGet();
        return fields;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- behaviours ----------------------------------------------------------------------------------

    /** Serves every request on the connection with 200 and {@code body}, keeping the connection open. */
    static Behaviour ok(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return (up, socket, in, out) -> {
            while (up.readRequestHead(in)) {
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + b.length
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(b);
                out.flush();
            }
        };
    }

    /**
     * Answers each request with a head announcing {@code body}'s length, flushed on its own, then the body after
     * {@code pauseMillis}: the proxy reads them apart.
     */
    static Behaviour headThenBodyLater(String body, long pauseMillis) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return (up, socket, in, out) -> {
            while (up.readRequestHead(in)) {
                out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + b.length
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                out.write(b);
                out.flush();
            }
        };
    }

    /** Answers the first request with a head announcing {@code length} bytes, sends {@code sent}, then closes. */
    static Behaviour truncated(int length, int sent) {
        return (up, socket, in, out) -> {
            if (!up.readRequestHead(in)) {
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: " + length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(Digests.randomBytes(1, sent));
            out.flush();
        };
    }

    /**
     * Answers the first request with a body delimited by closing the connection (no content-length, not
     * chunked): {@code size} bytes of seed {@code seed}.
     */
    static Behaviour closeDelimited(long seed, int size) {
        return (up, socket, in, out) -> {
            if (!up.readRequestHead(in)) {
                return;
            }
            out.write("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(Digests.randomBytes(seed, size));
            out.flush();
        };
    }

    /** Answers one request with 200 {@code body} and {@code connection: close}, then closes. */
    static Behaviour okThenClose(String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return (up, socket, in, out) -> {
            if (!up.readRequestHead(in)) {
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: "
                    + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
        };
    }

    /**
     * Answers the first request with a chunked head and {@code sent} bytes in one chunk, then closes without
     * the last chunk.
     */
    static Behaviour truncatedChunked(int sent) {
        return (up, socket, in, out) -> {
            if (!up.readRequestHead(in)) {
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked"
                    + "\r\n\r\n" + Integer.toHexString(sent) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(Digests.randomBytes(1, sent));
            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        };
    }

    /**
     * Reads a request head, then does not read the body until {@code gate} opens (the request stays in the
     * socket buffers and, if the proxy is well-behaved, in the client); then reads the body (content-length
     * or chunked), counting it in {@link #bodyBytesRead()}, and answers 200 with the body's size and SHA-256
     * as text: {@code "<bytes> <sha256>"}.
     */
    static Behaviour slowSink(CountDownLatch gate) {
        return (up, socket, in, out) -> {
            List<String[]> fields = up.readRequestFields(in);
            if (fields == null) {
                return;
            }
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            RawHttp.Head head = new RawHttp.Head("HTTP/1.1", 0, fields);
            InputStream body = new RawHttp.BodyStream(in, head.chunked() ? -1 : Math.max(0, head.contentLength()),
                    head.chunked());
            MessageDigest md = Digests.sha256();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = body.read(buf, 0, buf.length)) >= 0) {
                md.update(buf, 0, n);
                total += n;
                up.bodyBytesRead.addAndGet(n);
            }
            byte[] answer = (total + " " + HexFormat.of().formatHex(md.digest()))
                    .getBytes(StandardCharsets.US_ASCII);
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: " + answer.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(answer);
            out.flush();
            up.readRequestHead(in);
        };
    }

    /**
     * Answers an upgrade request with 101 and, in the same write, {@code greeting}; then echoes every byte
     * (a stand-in for a protocol where the server speaks first after the handshake).
     */
    static Behaviour upgradeThenGreetAndEcho(String greeting) {
        return (up, socket, in, out) -> {
            if (!up.readRequestHead(in)) {
                return;
            }
            out.write(("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
                    + "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" + greeting)
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        };
    }

    /** Reads the request head and closes without a byte of response. */
    static Behaviour closeWithoutResponse() {
        return (up, socket, in, out) -> up.readRequestHead(in);
    }

    /**
     * Answers the first request with {@code n} bytes of {@code Digests} seed {@code seed}, content-length
     * delimited, written as fast as the socket takes them; {@link #bodyBytesWritten()} counts them.
     */
    static Behaviour fastBody(long seed, long n) {
        return (up, socket, in, out) -> {
            if (!up.readRequestHead(in)) {
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: " + n
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            Digests.RandomStream rnd = new Digests.RandomStream(seed);
            byte[] buf = new byte[64 * 1024];
            for (long left = n; left > 0; ) {
                int len = (int) Math.min(buf.length, left);
                rnd.nextBytes(buf, 0, len);
                out.write(buf, 0, len);
                left -= len;
                up.bodyBytesWritten.addAndGet(len);
            }
            out.flush();
            // wait for the proxy to close or send another request
            up.readRequestHead(in);
        };
    }
}
