package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcMessageCounterTest {
    private static byte[] message(int length) {
        byte[] m = new byte[5 + length];
        m[1] = (byte) (length >>> 24);
        m[2] = (byte) (length >>> 16);
        m[3] = (byte) (length >>> 8);
        m[4] = (byte) length;
        return m;
    }

    @Test
    void countsMessagesSplitAnywhereAcrossChunks() {
        byte[] three = new byte[0];
        for (int len : new int[] {0, 300, 70_000}) {
            byte[] m = message(len);
            byte[] joined = new byte[three.length + m.length];
            System.arraycopy(three, 0, joined, 0, three.length);
            System.arraycopy(m, 0, joined, three.length, m.length);
            three = joined;
        }
        for (int chunk : new int[] {1, 2, 3, 5, 7, 4096, three.length}) {
            GrpcMessageCounter counter = new GrpcMessageCounter();
            for (int off = 0; off < three.length; off += chunk) {
                ByteBuf buf = Unpooled.wrappedBuffer(three, off, Math.min(chunk, three.length - off));
                counter.feed(buf);
                assertThat(buf.readerIndex()).isZero();
            }
            assertThat(counter.messages()).as("chunks of %d", chunk).isEqualTo(3);
        }
    }
}
