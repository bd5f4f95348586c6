package io.remora.proxy.it.edge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.log.JsonWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shared helpers of the edge-case integration tests: starting a proxy on a test mesh, raw-socket HTTP/1.1
 * exchanges (exact bytes out, every byte back until EOF), a small keep-alive HTTP/1.1 client, Prometheus scrape
 * parsing, and an in-memory access-log sink.
 */
public final class Edge {
    static final ObjectMapper JSON = new ObjectMapper();

    private Edge() {
    }

    // ---- proxy ----------------------------------------------------------------------------------------------

    public static ProxyServer start(TestMesh mesh) throws InterruptedException {
        return ProxyServer.start(mesh.snapshot());
    }

    public static ProxyServer start(TestMesh mesh, LineSink accessLog) throws InterruptedException {
        return ProxyServer.start(mesh.snapshot(), accessLog.writer());
    }

    /** A port nobody listens on: bound once, then released. */
    public static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- raw sockets ----------------------------------------------------------------------------------------

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** What came back on a connection: every byte until EOF (or reset), and how the connection ended. */
    record RawResult(byte[] bytes, boolean closed, boolean reset) {
        String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }

        /** The first response in the bytes. */
        Reply reply() {
            List<Reply> all = Reply.parseAll(bytes);
            if (all.isEmpty()) {
                throw new AssertionError("no HTTP response in " + bytes.length + " bytes: " + text());
            }
            return all.get(0);
        }
    }

    /**
     * Connects, writes {@code request} in one write, then reads until EOF. {@code closed} is false when the
     * peer did not close within {@code timeout} (the connection was kept open).
     */
    static RawResult rawExchange(InetSocketAddress to, byte[] request, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(to, 2000);
            s.setSoTimeout((int) timeout.toMillis());
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return readUntilEof(s, timeout);
        }
    }

    /** Reads until EOF, a reset, or {@code timeout} without the connection ending. */
    static RawResult readUntilEof(Socket s, Duration timeout) throws IOException {
        s.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                return new RawResult(out.toByteArray(), false, false);
            } catch (SocketException e) {
                return new RawResult(out.toByteArray(), true, true);
            }
            if (n < 0) {
                return new RawResult(out.toByteArray(), true, false);
            }
            out.write(buf, 0, n);
            if (System.nanoTime() > deadline) {
                return new RawResult(out.toByteArray(), false, false);
            }
        }
    }

    /** One parsed HTTP/1.1 response; header names lower-cased. */
    record Reply(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Every complete response in {@code raw}, in order (bodies framed by length or chunked, else to the end). */
        static List<Reply> parseAll(byte[] raw) {
            List<Reply> out = new ArrayList<>();
            ByteInput in = new ByteInput(raw);
            while (in.remaining() > 0) {
                Reply r = in.readReply();
                if (r == null) {
                    break;
                }
                out.add(r);
            }
            return out;
        }
    }

    /** Parses responses out of a byte array. */
    private static final class ByteInput {
        private final byte[] data;
        private int pos;

        ByteInput(byte[] data) {
            this.data = data;
        }

        int remaining() {
            return data.length - pos;
        }

        String line() {
            int start = pos;
            for (int i = pos; i + 1 < data.length; i++) {
                if (data[i] == '\r' && data[i + 1] == '\n') {
                    pos = i + 2;
                    return new String(data, start, i - start, StandardCharsets.ISO_8859_1);
                }
            }
            return null;
        }

        Reply readReply() {
            String status = line();
            if (status == null || !status.startsWith("HTTP/1.")) {
                return null;
            }
            int code = Integer.parseInt(status.substring(9, 12));
            Map<String, List<String>> headers = new LinkedHashMap<>();
            String h;
            while ((h = line()) != null && !h.isEmpty()) {
                int colon = h.indexOf(':');
                headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(h.substring(colon + 1).trim());
            }
            if (h == null) {
                return null;
            }
            List<String> te = headers.get("transfer-encoding");
            List<String> cl = headers.get("content-length");
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (code / 100 == 1 || code == 204 || code == 304) {
                return new Reply(code, headers, new byte[0]);
            }
            if (te != null && te.get(te.size() - 1).equalsIgnoreCase("chunked")) {
                while (true) {
                    String size = line();
                    if (size == null) {
                        return null;
                    }
                    int semi = size.indexOf(';');
                    int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (n == 0) {
                        String t;
                        while ((t = line()) != null && !t.isEmpty()) {
                            // trailers are not needed by these tests
                        }
                        break;
                    }
                    if (remaining() < n + 2) {
                        return null;
                    }
                    body.write(data, pos, n);
                    pos += n + 2;
                }
            } else if (cl != null) {
                int n = Integer.parseInt(cl.get(0));
                if (remaining() < n) {
                    return null;
                }
                body.write(data, pos, n);
                pos += n;
            } else {
                body.write(data, pos, remaining());
                pos = data.length;
            }
            return new Reply(code, headers, body.toByteArray());
        }
    }

    /** A persistent HTTP/1.1 connection issuing one request at a time. */
    static final class KeepAlive implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String host;

        KeepAlive(InetSocketAddress to) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(to, 2000);
            socket.setSoTimeout(10_000);
            in = new java.io.BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
            host = to.getHostString() + ":" + to.getPort();
        }

        Reply get(String path) throws IOException {
            return send("GET", path, Map.of());
        }

        Socket socket() {
            return socket;
        }

        Reply send(String method, String path, Map<String, String> headers) throws IOException {
            StringBuilder sb = new StringBuilder(128).append(method).append(' ').append(path)
                    .append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
            headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
            sb.append("\r\n");
            out.write(ascii(sb.toString()));
            out.flush();
            return read();
        }

        boolean isClosedByPeer() throws IOException {
            socket.setSoTimeout(2000);
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true;
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    int len = sb.length();
                    if (len > 0 && sb.charAt(len - 1) == '\r') {
                        sb.setLength(len - 1);
                    }
                    return sb.toString();
                }
                sb.append((char) c);
            }
            throw new java.io.EOFException("connection closed in the middle of a response");
        }

        private Reply read() throws IOException {
            String status = line();
            int code = Integer.parseInt(status.substring(9, 12));
            Map<String, List<String>> headers = new LinkedHashMap<>();
            String h;
            while (!(h = line()).isEmpty()) {
                int colon = h.indexOf(':');
                headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(h.substring(colon + 1).trim());
            }
            List<String> te = headers.get("transfer-encoding");
            List<String> cl = headers.get("content-length");
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (te != null && te.get(te.size() - 1).equalsIgnoreCase("chunked")) {
                while (true) {
                    String size = line();
                    int semi = size.indexOf(';');
                    int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (n == 0) {
                        while (!line().isEmpty()) {
                            // trailers ignored
                        }
                        break;
                    }
                    body.write(in.readNBytes(n));
                    line();
                }
            } else if (cl != null) {
                body.write(in.readNBytes(Integer.parseInt(cl.get(0))));
            } else if (code != 204 && code != 304) {
                body.write(in.readAllBytes());
            }
            return new Reply(code, headers, body.toByteArray());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One-shot GET with {@code Connection: close}. */
    static Reply get(InetSocketAddress to, String path) throws IOException {
        return httpRequest(to, "GET", path);
    }

    static Reply httpRequest(InetSocketAddress to, String method, String path) throws IOException {
        String req = method + " " + path + " HTTP/1.1\r\nHost: " + to.getHostString() + ":" + to.getPort()
                + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        RawResult r = rawExchange(to, ascii(req), Duration.ofSeconds(10));
        return r.reply();
    }

    // ---- metrics --------------------------------------------------------------------------------------------

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    public static String scrape(ProxyServer server) throws IOException {
        Reply r = get(server.metricsAddress(), "/stats/prometheus");
        if (r.status() != 200) {
            throw new AssertionError("scrape answered " + r.status());
        }
        return r.bodyText();
    }

    /**
     * Sum of the samples named {@code name} whose labels include every {@code key=value} pair of {@code labels}
     * (given as alternating keys and values).
     */
    public static double sample(String scrape, String name, String... labels) {
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> have = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    have.put(l.group(1), l.group(2));
                }
            }
            boolean all = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                all &= labels[i + 1].equals(have.get(labels[i]));
            }
            if (all) {
                sum += Double.parseDouble(m.group(3));
            }
        }
        return sum;
    }

    // ---- access log -----------------------------------------------------------------------------------------

    /** Collects the lines a {@link JsonWriter} writes; {@link #close()} stops the writer. */
    public static final class LineSink extends OutputStream implements AutoCloseable {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final JsonWriter writer = new JsonWriter(this);

        public JsonWriter writer() {
            return writer;
        }

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        /** The complete lines written so far, parsed as JSON. */
        public List<JsonNode> lines() {
            String text;
            synchronized (this) {
                text = bytes.toString(StandardCharsets.UTF_8);
            }
            List<JsonNode> out = new ArrayList<>();
            int start = 0;
            int nl;
            while ((nl = text.indexOf('\n', start)) >= 0) {
                String line = text.substring(start, nl);
                start = nl + 1;
                try {
                    out.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new AssertionError("access log line is not JSON: " + line, e);
                }
            }
            return out;
        }

        @Override
        public void close() {
            writer.close();
        }
    }
}
