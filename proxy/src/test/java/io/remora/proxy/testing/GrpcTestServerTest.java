package io.remora.proxy.testing;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

@Timeout(60)
class GrpcTestServerTest {

    @Test
    void unaryStreamAndFailureWithTrailer() throws Exception {
        try (GrpcTestServer server = new GrpcTestServer()) {
            ManagedChannel channel = GrpcTestServer.channel(server.address());
            try {
                byte[] big = Digests.randomBytes(9, 200_000);
                assertThat(GrpcTestServer.unary(channel, big)).isEqualTo(big);
                assertThat(GrpcTestServer.unary(channel, new byte[0])).isEmpty();

                assertThat(GrpcTestServer.stream(channel, 3)).containsExactly("msg-0", "msg-1", "msg-2");
                assertThat(GrpcTestServer.stream(channel, 0)).isEmpty();

                StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                        () -> GrpcTestServer.unary(channel, "fail:no good".getBytes(StandardCharsets.UTF_8)));
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).isEqualTo("no good");
                Metadata trailers = e.getTrailers();
                assertThat(trailers).isNotNull();
                assertThat(trailers.get(GrpcTestServer.DETAIL)).isEqualTo("bad");

                assertThat(server.callCount()).isEqualTo(5);
                assertThat(GrpcTestServer.unaryMethod().getFullMethodName()).isEqualTo("test.Echo/Unary");
                assertThat(GrpcTestServer.streamMethod().getFullMethodName()).isEqualTo("test.Echo/Stream");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
