package io.remora.proxy.it.inbound;

import com.sun.net.httpserver.HttpServer;
import io.remora.config.testing.TestMesh;
import io.remora.log.Log;
import io.remora.proxy.ProxyServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A "pod" for {@link InboundByPortNetnsTest}, run inside its network namespace: apps bound the ways apps bind (on
 * every address, on the pod IP only, on loopback only), a TCP echo, an app on a port the Sidecar does not declare,
 * and a sidecar whose inbound listener sends each captured connection to the port the caller dialled. Prints
 * {@code READY} once everything listens and runs until its stdin closes.
 *
 * <p>With the arguments {@code echo-client HOST PORT BYTES} it is instead a TCP client: sends BYTES pseudo-random
 * bytes, reads the echo, and prints {@code sent=<sha256> received=<sha256> bytes=<n>}.
 */
public final class InboundPodMain {
    static final String POD_IP = "10.77.0.2";

    /** Inbound captured on 15006 and sent on by original port to the pod's four ports; metrics on 15020. */
    static final TestMesh CONFIG = TestMesh.of(TestMesh.sidecar("pod", "test").set("metrics", "127.0.0.1:15020")
            .accessLog(true).set("inbound.listen", "0.0.0.0:15006")
            .add("inbound.ports", "{port: 8080, protocol: http, name: web}")
            .add("inbound.ports", "{port: 8081, protocol: http}")
            .add("inbound.ports", "{port: 8082, protocol: http}")
            .add("inbound.ports", "{port: 9000, protocol: tcp, name: db}"));

    private InboundPodMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("echo-client")) {
            echoClient(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        ExecutorService threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pod-app");
            t.setDaemon(true);
            return t;
        });
        HttpServer wildcard = app(new InetSocketAddress("0.0.0.0", 8080), "wildcard", threads);
        HttpServer podIp = app(new InetSocketAddress(POD_IP, 8081), "pod-ip", threads);
        HttpServer loopback = app(new InetSocketAddress("127.0.0.1", 8082), "loopback", threads);
        HttpServer undeclared = app(new InetSocketAddress("0.0.0.0", 7000), "undeclared", threads);
        ServerSocket echo = new ServerSocket();
        echo.setReuseAddress(true);
        echo.bind(new InetSocketAddress("0.0.0.0", 9000), 64);
        threads.execute(() -> acceptEchoes(echo, threads));

        ProxyServer proxy = ProxyServer.start(CONFIG.snapshot());
        System.out.println("READY");
        System.out.flush();
        try {
            InputStream in = System.in;
            while (in.read() >= 0) {
                // runs until the test closes our stdin
            }
        } finally {
            proxy.close();
            Log.flush();
            for (HttpServer s : new HttpServer[] {wildcard, podIp, loopback, undeclared}) {
                s.stop(0);
            }
            echo.close();
            threads.shutdownNow();
            System.out.flush();
        }
    }

    /** An app that answers its name and the peer address it saw (what the sidecar connected from). */
    private static HttpServer app(InetSocketAddress bind, String name, ExecutorService threads) throws IOException {
        HttpServer app = HttpServer.create(bind, 64);
        app.createContext("/", exchange -> {
            try (exchange) {
                exchange.getRequestBody().readAllBytes();
                byte[] body = name.getBytes(StandardCharsets.US_ASCII);
                exchange.getResponseHeaders().set("x-seen-remote",
                        exchange.getRemoteAddress().getAddress().getHostAddress());
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        app.setExecutor(threads);
        app.start();
        return app;
    }

    private static void acceptEchoes(ServerSocket server, ExecutorService threads) {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            threads.execute(() -> {
                try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // the client went away; nothing to echo
                }
            });
        }
    }

    private static void echoClient(String host, int port, int bytes) throws Exception {
        byte[] data = new byte[bytes];
        new Random(42).nextBytes(data);
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long n = 0;
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(20_000);
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException ignored) {
                    // the read side reports what arrived
                }
            });
            writer.start();
            byte[] buf = new byte[65536];
            InputStream in = s.getInputStream();
            for (int r; (r = in.read(buf)) >= 0; ) {
                received.update(buf, 0, r);
                n += r;
            }
            writer.join();
        }
        HexFormat hex = HexFormat.of();
        System.out.println("sent=" + hex.formatHex(MessageDigest.getInstance("SHA-256").digest(data)) + " received="
                + hex.formatHex(received.digest()) + " bytes=" + n);
    }
}
