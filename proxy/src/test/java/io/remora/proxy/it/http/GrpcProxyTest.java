package io.remora.proxy.it.http;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import io.remora.proxy.ProxyServer;
import io.remora.proxy.testing.Digests;
import io.remora.proxy.testing.GrpcTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * gRPC (grpc-java, plaintext h2c) through the proxy to a service declared {@code protocol: grpc}: statuses,
 * descriptions and custom trailers pass intact, streams arrive complete and in order, and what the proxy
 * answers itself (no route, no endpoint, refused upstream) reaches the client as a gRPC status.
 */
@Timeout(60)
class GrpcProxyTest {
    private static final Metadata.Key<String> FLAGS =
            Metadata.Key.of("x-remora-response-flags", Metadata.ASCII_STRING_MARSHALLER);

    private static GrpcTestServer grpc;
    private static ProxyServer proxy;
    private ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        grpc = new GrpcTestServer();
        proxy = Proxies.start(Proxies.sidecar("grpc-echo", "grpc-refused", "grpc-routed", "grpc-empty", "grpc-stream"),
                Proxies.service("grpc-echo", "grpc", grpc.address()),
                Proxies.service("grpc-stream", "grpc", grpc.address()),
                Proxies.service("grpc-refused", "grpc", refusedAddress()),
                Proxies.service("grpc-routed", "grpc", grpc.address()),
                Proxies.service("grpc-empty", "grpc"),
                TestMesh.route("grpc-routed", "test").services("grpc-routed.test").rule(r -> r.name("unary-only")
                        .match("{path: {exact: /test.Echo/Unary}}").backend("grpc-routed.test")));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (grpc != null) {
            grpc.close();
        }
    }

    @AfterEach
    void closeChannel() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** A loopback address nothing listens on: bound to find a free port, then released. */
    private static InetSocketAddress refusedAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return new InetSocketAddress("127.0.0.1", s.getLocalPort());
        }
    }

    private ManagedChannel channelTo(String service) {
        channel = GrpcTestServer.channel(proxy.upstreamAddress(Proxies.key(service)));
        return channel;
    }

    @Test
    void unaryCallSucceeds() {
        byte[] req = "hello through the mesh".getBytes(StandardCharsets.UTF_8);
        assertThat(GrpcTestServer.unary(channelTo("grpc-echo"), req)).isEqualTo(req);
    }

    @Test
    void largeUnaryMessageCrossesFlowControlWindows() {
        byte[] req = Digests.randomBytes(33, 3 * 1024 * 1024 + 5);
        byte[] res = GrpcTestServer.unary(channelTo("grpc-echo"), req);
        assertThat(Digests.sha256Hex(res)).isEqualTo(Digests.sha256Hex(req));
    }

    @Test
    void failingUnaryKeepsStatusDescriptionAndCustomTrailer() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> GrpcTestServer.unary(channelTo("grpc-echo"), "fail:bad input".getBytes(StandardCharsets.UTF_8)));
        assertThat(e).as("the call fails").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).isEqualTo("bad input");
        assertThat(e.getTrailers()).isNotNull();
        assertThat(e.getTrailers().get(GrpcTestServer.DETAIL)).isEqualTo("bad");
        assertThat(e.getTrailers().get(FLAGS)).as("answered by the upstream, not the proxy").isNull();
    }

    @Test
    void serverStreamingDeliversEveryMessageInOrderAndCountsThem() throws Exception {
        List<String> got = GrpcTestServer.stream(channelTo("grpc-stream"), 100);
        assertThat(got).containsExactlyElementsOf(IntStream.range(0, 100).mapToObj(i -> "msg-" + i).toList());
        String[] labels = {"destination_service", "grpc-stream.test.svc.cluster.local", "request_protocol", "grpc"};
        Eventually.eventually(java.time.Duration.ofSeconds(5), () -> assertThat(
                io.remora.proxy.it.edge.Edge.sample(io.remora.proxy.it.edge.Edge.scrape(proxy),
                        "istio_response_messages_total", labels)).isEqualTo(100));
        assertThat(io.remora.proxy.it.edge.Edge.sample(io.remora.proxy.it.edge.Edge.scrape(proxy),
                "istio_request_messages_total", labels)).isEqualTo(1);
    }

    @Test
    void concurrentCallsShareOneDownstreamConnection() throws Exception {
        ManagedChannel ch = channelTo("grpc-echo");
        List<Future<byte[]>> calls = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            calls.add(ClientCalls.futureUnaryCall(ch.newCall(GrpcTestServer.unaryMethod(),
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
                    ("call-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        for (int i = 0; i < calls.size(); i++) {
            assertThat(new String(calls.get(i).get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8))
                    .isEqualTo("call-" + i);
        }
    }

    @Test
    void refusedUpstreamIsUnavailable() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> GrpcTestServer.unary(channelTo("grpc-refused"), new byte[] {1}));
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus())).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getTrailers().get(FLAGS)).isEqualTo("UF,URX");
    }

    @Test
    void serviceWithoutEndpointsIsUnavailable() {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> GrpcTestServer.unary(channelTo("grpc-empty"), new byte[] {1}));
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus())).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getTrailers().get(FLAGS)).isEqualTo("UH");
    }

    @Test
    void methodWithoutRouteIsUnimplementedWhileRoutedMethodWorks() {
        ManagedChannel ch = channelTo("grpc-routed");
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> GrpcTestServer.stream(ch, 3));
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus())).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(e.getTrailers().get(FLAGS)).isEqualTo("NR");
        // the same connection still carries calls the route allows
        assertThat(GrpcTestServer.unary(ch, new byte[] {42})).containsExactly(42);
    }
}
