package io.remora.proxy.it.capture;

import com.sun.net.httpserver.HttpServer;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.log.Log;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Run inside a network namespace by {@link CaptureNetnsTest}: an HTTP app on 127.0.0.3:8080 (answers
 * {@code app-ok}, echoes the Host it saw in {@code x-seen-host} and prints {@code app-request METHOD PATH host=HOST}),
 * a TCP echo on 127.0.0.3:5432, and a sidecar with the outbound capture listener on 127.0.0.1:15001 that knows both
 * as services {@code known.test} (virtual address 127.0.0.4:80) and {@code db.test} (tcp, 127.0.0.4:5432).
 * Prints {@code READY} once everything listens and runs until its stdin closes.
 */
public final class CaptureSidecarMain {
    static final String APP_HOST = "127.0.0.3";
    static final int APP_PORT = 8080;
    static final int DB_PORT = 5432;
    static final int CAPTURE_PORT = 15001;

    static final TestMesh CONFIG = TestMesh.of(
            TestMesh.sidecar("capture", "test").accessLog(true).capture(TestMesh.loopback(CAPTURE_PORT)),
            TestMesh.service("known", "test").protocol("http").addresses("127.0.0.4:80").endpoint("127.0.0.3:8080"),
            TestMesh.service("db", "test").protocol("tcp").addresses("127.0.0.4:5432").endpoint("127.0.0.3:5432"));

    private CaptureSidecarMain() {
    }

    public static void main(String[] args) throws Exception {
        HttpServer app = HttpServer.create(new InetSocketAddress(APP_HOST, APP_PORT), 64);
        app.createContext("/", exchange -> {
            try (exchange) {
                String host = String.valueOf(exchange.getRequestHeaders().getFirst("Host"));
                System.out.println("app-request " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI().getRawPath() + " host=" + host);
                exchange.getRequestBody().readAllBytes();
                byte[] body = "app-ok".getBytes(StandardCharsets.US_ASCII);
                exchange.getResponseHeaders().set("x-seen-host", host);
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        ExecutorService appThreads = Executors.newCachedThreadPool(daemon("app"));
        app.setExecutor(appThreads);
        app.start();

        ExecutorService echoThreads = Executors.newCachedThreadPool(daemon("echo"));
        ServerSocket echo = new ServerSocket();
        echo.setReuseAddress(true);
        echo.bind(new InetSocketAddress(APP_HOST, DB_PORT), 64);
        echoThreads.execute(() -> acceptEchoes(echo, echoThreads));

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
            app.stop(0);
            echo.close();
            appThreads.shutdownNow();
            echoThreads.shutdownNow();
            System.out.flush();
        }
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

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
