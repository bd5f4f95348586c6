package io.remora.protocol;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Messages travel as JSON in gRPC frames: readable with any gRPC tool, and no code generation. */
class JsonMarshaller<T> implements MethodDescriptor.Marshaller<T> {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Class<T> type;

    JsonMarshaller(Class<T> type) {
        this.type = type;
    }

    static ObjectMapper mapper() {
        return MAPPER;
    }

    @Override
    public InputStream stream(T value) {
        try {
            return new ByteArrayInputStream(MAPPER.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public T parse(InputStream stream) {
        try {
            return MAPPER.readValue(stream, type);
        } catch (IOException e) {
            throw Status.INVALID_ARGUMENT.withDescription("cannot read " + type.getSimpleName() + ": " + e.getMessage())
                    .withCause(e).asRuntimeException();
        }
    }
}
