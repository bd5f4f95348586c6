package io.remora.launcher.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real headless Chromium (Debian's {@code /usr/bin/chromium}) showing one page, driven over the DevTools protocol
 * with the JDK's WebSocket client: the page runs its own script against the real server, and {@link #evaluate} reads
 * what it has drawn, as often as a test likes, without reloading it, so a test sees the page update itself. A fresh
 * profile directory per browser, deleted on close. Chromium missing is a failure naming the package, never a skip.
 */
public final class HeadlessChromium implements AutoCloseable {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final Path log;
    private final WebSocket socket;
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    private HeadlessChromium(Process process, Path profile, Path log, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.log = log;
        this.socket = socket;
    }

    /** Starts Chromium on {@code url} and connects to its page; fails (never skips) when Chromium is missing. */
    public static HeadlessChromium open(String url) throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new AssertionError(CHROMIUM + " is missing: install it (apt-get install -y chromium); the dashboard"
                    + " is tested in a real browser");
        }
        Path profile = Files.createTempDirectory("remora-chromium-");
        Path log = profile.resolveSibling(profile.getFileName() + ".log");
        Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--remote-allow-origins=*", url)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = devToolsPort(p, profile, log);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String page = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (page == null && System.nanoTime() < deadline) {
                HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/json/list")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                for (JsonNode t : JSON.readTree(list.body())) {
                    if (t.path("type").asText().equals("page") && t.has("webSocketDebuggerUrl")) {
                        page = t.get("webSocketDebuggerUrl").asText();
                    }
                }
                if (page == null) {
                    Thread.sleep(100);
                }
            }
            if (page == null) {
                throw new AssertionError("Chromium shows no page; its output:\n" + output(log));
            }
            HeadlessChromium[] self = new HeadlessChromium[1];
            WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create(page), new Listener(self)).get(10, TimeUnit.SECONDS);
            self[0] = new HeadlessChromium(p, profile, log, ws);
            return self[0];
        } catch (Exception | Error e) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            delete(profile);
            throw e;
        }
    }

    /** Chromium writes the port it chose into the profile's {@code DevToolsActivePort}. */
    private static int devToolsPort(Process p, Path profile, Path log) throws Exception {
        Path file = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("Chromium exited with " + p.exitValue() + ":\n" + output(log));
            }
            if (Files.exists(file)) {
                String[] lines = Files.readString(file).split("\n");
                if (lines.length > 0 && !lines[0].isBlank()) {
                    return Integer.parseInt(lines[0].trim());
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("Chromium opened no DevTools port within 30 s:\n" + output(log));
    }

    private static String output(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    /** The value of a JavaScript expression in the page, as text ({@code null} as "null"). */
    public String evaluate(String expression) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode call = JSON.createObjectNode().put("id", id).put("method", "Runtime.evaluate");
        call.putObject("params").put("expression", expression).put("returnByValue", true);
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(JSON.writeValueAsString(call), true).get(5, TimeUnit.SECONDS);
        JsonNode res = answer.get(10, TimeUnit.SECONDS);
        if (res.has("error") || res.path("result").has("exceptionDetails")) {
            throw new AssertionError("evaluating " + expression + ": " + res);
        }
        JsonNode value = res.path("result").path("result").path("value");
        return value.isTextual() ? value.asText() : value.toString();
    }

    /** The page's DOM as HTML, for a failure message. */
    public String dom() throws Exception {
        return evaluate("document.documentElement.outerHTML");
    }

    private void answered(JsonNode message) {
        if (message.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(message.get("id").asInt());
            if (f != null) {
                f.complete(message);
            }
        }
    }

    /** Gathers each text message's parts and hands the whole to the browser. */
    private static final class Listener implements WebSocket.Listener {
        private final HeadlessChromium[] owner;
        private final StringBuilder parts = new StringBuilder();

        Listener(HeadlessChromium[] owner) {
            this.owner = owner;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            parts.append(data);
            if (last) {
                String text = parts.toString();
                parts.setLength(0);
                try {
                    if (owner[0] != null) {
                        owner[0].answered(JSON.readTree(text));
                    }
                } catch (IOException e) {
                    // not JSON: nothing waits for it
                }
            }
            ws.request(1);
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        socket.abort();
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        delete(profile);
        Files.deleteIfExists(log);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (java.io.UncheckedIOException e) {
            // Chromium's helpers may still be writing for a moment; the temporary directory is left then.
        }
    }

    @Override
    public String toString() {
        return "chromium pid " + process.pid();
    }
}
