package io.remora.launcher.init;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Stands in for the sidecar's capture listener inside a network namespace: answers every connection with an HTTP
 * response whose body is {@code captured}, so a test can tell a captured connection from one that went elsewhere.
 */
public final class EchoListener {
    private EchoListener() {
    }

    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress("0.0.0.0", Integer.parseInt(args[0])));
            System.out.println("listening");
            System.out.flush();
            while (true) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(2000);
                    s.getInputStream().read(new byte[4096]);
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\ncaptured"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (java.io.IOException e) {
                    // the next connection
                }
            }
        }
    }
}
