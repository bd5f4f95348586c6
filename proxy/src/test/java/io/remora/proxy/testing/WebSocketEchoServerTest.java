package io.remora.proxy.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class WebSocketEchoServerTest {

    @Test
    void echoesTextAndBinaryFrames() throws Exception {
        try (WebSocketEchoServer server = new WebSocketEchoServer()) {
            BlockingQueue<Object> received = new LinkedBlockingQueue<>();
            WebSocket.Listener listener = new WebSocket.Listener() {
                private final StringBuilder text = new StringBuilder();
                private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

                @Override
                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                        received.add(text.toString());
                        text.setLength(0);
                    }
                    ws.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                    byte[] b = new byte[data.remaining()];
                    data.get(b);
                    binary.writeBytes(b);
                    if (last) {
                        received.add(binary.toByteArray());
                        binary.reset();
                    }
                    ws.request(1);
                    return null;
                }
            };
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + WebSocketEchoServer.PATH), listener)
                    .get(10, TimeUnit.SECONDS);
            ws.sendText("hello", true).get(10, TimeUnit.SECONDS);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");

            byte[] payload = Digests.randomBytes(3, 100_000);
            ws.sendBinary(ByteBuffer.wrap(payload), true).get(10, TimeUnit.SECONDS);
            assertThat((byte[]) received.poll(10, TimeUnit.SECONDS)).isEqualTo(payload);

            // a message in two fragments comes back whole
            ws.sendText("frag", false).get(10, TimeUnit.SECONDS);
            ws.sendText("ment", true).get(10, TimeUnit.SECONDS);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("fragment");

            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
            assertThat(server.framesEchoed()).isEqualTo(4);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void otherPathsAre404() throws Exception {
        try (WebSocketEchoServer server = new WebSocketEchoServer()) {
            HttpResponse<String> res = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/nope")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(404);
        }
    }
}
