package io.remora.proxy.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real gRPC server (grpc-java, plaintext h2c) on 127.0.0.1 (ephemeral port) with a service defined by hand,
 * messages being raw bytes (no protobuf):
 * <ul>
 *   <li>{@code test.Echo/Unary}: echoes the request; a request {@code "fail:<text>"} fails with
 *       {@code INVALID_ARGUMENT}, description {@code <text>} and trailer {@code x-detail: bad};</li>
 *   <li>{@code test.Echo/Stream}: request = ASCII integer n, responds n messages {@code "msg-0"} ..
 *       {@code "msg-(n-1)"}.</li>
 * </ul>
 * Static helpers give the method descriptors and make client calls, for tests that go through a proxy.
 */
public final class GrpcTestServer implements AutoCloseable {
    public static final String SERVICE = "test.Echo";
    public static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static final MethodDescriptor<byte[], byte[]> UNARY = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Unary"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    private static final MethodDescriptor<byte[], byte[]> STREAM = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Stream"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    private final Server server;
    private final AtomicLong calls = new AtomicLong();

    public GrpcTestServer() {
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(UNARY, ServerCalls.asyncUnaryCall((request, observer) -> {
                    calls.incrementAndGet();
                    String text = new String(request, StandardCharsets.UTF_8);
                    if (text.startsWith("fail:")) {
                        Metadata trailers = new Metadata();
                        trailers.put(DETAIL, "bad");
                        observer.onError(Status.INVALID_ARGUMENT.withDescription(text.substring(5))
                                .asRuntimeException(trailers));
                        return;
                    }
                    observer.onNext(request);
                    observer.onCompleted();
                }))
                .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((request, observer) -> {
                    calls.incrementAndGet();
                    int n;
                    try {
                        n = Integer.parseInt(new String(request, StandardCharsets.US_ASCII).trim());
                    } catch (NumberFormatException e) {
                        observer.onError(Status.INVALID_ARGUMENT.withDescription("expected an integer")
                                .asRuntimeException());
                        return;
                    }
                    for (int i = 0; i < n; i++) {
                        observer.onNext(("msg-" + i).getBytes(StandardCharsets.US_ASCII));
                    }
                    observer.onCompleted();
                }))
                .build();
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(service)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The unary method {@code test.Echo/Unary}. */
    public static MethodDescriptor<byte[], byte[]> unaryMethod() {
        return UNARY;
    }

    /** The server-streaming method {@code test.Echo/Stream}. */
    public static MethodDescriptor<byte[], byte[]> streamMethod() {
        return STREAM;
    }

    /** A plaintext (h2c prior knowledge) client channel to {@code address}; the caller shuts it down. */
    public static ManagedChannel channel(InetSocketAddress address) {
        return NettyChannelBuilder.forAddress(address).usePlaintext().build();
    }

    /** Calls {@code test.Echo/Unary}; failures surface as {@link io.grpc.StatusRuntimeException}. */
    public static byte[] unary(Channel channel, byte[] request) {
        return ClientCalls.blockingUnaryCall(channel, UNARY,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
    }

    /** Calls {@code test.Echo/Stream} with {@code n} and returns the messages as strings. */
    public static List<String> stream(Channel channel, int n) {
        Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(channel, STREAM,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
        List<String> out = new ArrayList<>();
        it.forEachRemaining(b -> out.add(new String(b, StandardCharsets.US_ASCII)));
        return out;
    }

    public int port() {
        return server.getPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    /** Calls started so far (both methods). */
    public long callCount() {
        return calls.get();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
