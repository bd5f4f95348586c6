package io.remora.launcher.pods;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The unmodified applications of the simulated pods, plain JDK (no Netty, nothing of Remora), run as an ordinary
 * user inside a network namespace; each stops when its stdin closes.
 *
 * <ul>
 *   <li>{@code serve NAME HTTP_PORTS [TCP_PORT]}: HTTP/1.1 on each of the comma-separated ports, bound to 0.0.0.0,
 *       answering {@code NAME port=P path=/x xfcc=<x-forwarded-client-cert or ->}; with {@code TCP_PORT} also a
 *       server-first TCP protocol there, as a database speaks: {@code HELLO NAME} first, then {@code ECHO <line>}
 *       for the line the client sends. Prints {@code READY} once bound and {@code REQUEST port path xfcc} for each
 *       request.</li>
 *   <li>{@code stream URL}: requests {@code URL} one after another (a keep-alive client, 5 s timeout each) until a
 *       line {@code stop} arrives on stdin, printing {@code R <n> <status or exception>} for each and
 *       {@code DONE ok=<n> failed=<n>} at the end.</li>
 * </ul>
 */
public final class PodApp {
    private PodApp() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        switch (args[0]) {
            case "serve" -> serve(out, args[1], args[2], args.length > 3 ? Integer.parseInt(args[3]) : 0);
            case "stream" -> stream(out, args[1]);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void serve(PrintStream out, String name, String httpPorts, int tcpPort) throws Exception {
        for (String p : httpPorts.split(",")) {
            int port = Integer.parseInt(p);
            HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 64);
            server.setExecutor(Executors.newFixedThreadPool(4));
            server.createContext("/", ex -> answer(out, name, port, ex));
            server.start();
        }
        if (tcpPort > 0) {
            ServerSocket tcp = new ServerSocket();
            tcp.bind(new InetSocketAddress("0.0.0.0", tcpPort));
            Thread t = new Thread(() -> serverFirst(name, tcp), "server-first");
            t.setDaemon(true);
            t.start();
        }
        out.println("READY");
        waitForStdinToClose();
        System.exit(0);
    }

    private static void answer(PrintStream out, String name, int port, HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        String xfcc = ex.getRequestHeaders().getFirst("x-forwarded-client-cert");
        String path = ex.getRequestURI().getPath();
        out.println("REQUEST " + port + " " + path + " " + (xfcc == null ? "-" : xfcc));
        byte[] body = (name + " port=" + port + " path=" + path + " xfcc=" + (xfcc == null ? "-" : xfcc) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("content-type", "text/plain");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }

    private static void serverFirst(String name, ServerSocket tcp) {
        while (true) {
            try (Socket s = tcp.accept()) {
                s.setSoTimeout(10_000);
                OutputStream o = s.getOutputStream();
                o.write(("HELLO " + name + "\n").getBytes(StandardCharsets.UTF_8));
                o.flush();
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
                o.write(("ECHO " + line + "\n").getBytes(StandardCharsets.UTF_8));
                o.flush();
            } catch (IOException e) {
                // the next client
            }
        }
    }

    private static void stream(PrintStream out, String url) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.equals("stop")) {
                        break;
                    }
                }
            } catch (IOException ignored) {
                // stdin gone: stop as well
            }
            stop.set(true);
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
        long ok = 0;
        long failed = 0;
        for (long n = 1; !stop.get(); n++) {
            String result;
            try {
                HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                result = r.statusCode() == 200 ? "200"
                        : r.statusCode() + " " + r.headers().firstValue("x-remora-response-flags").orElse("-") + " "
                        + r.body().strip();
            } catch (IOException e) {
                result = e.toString();
            }
            if (result.equals("200")) {
                ok++;
            } else {
                failed++;
            }
            out.println("R " + n + " " + result);
            Thread.sleep(10);
        }
        out.println("DONE ok=" + ok + " failed=" + failed);
        System.exit(0);
    }

    private static void waitForStdinToClose() throws IOException {
        while (System.in.read() >= 0) {
            // the test closes stdin to stop us
        }
    }
}
