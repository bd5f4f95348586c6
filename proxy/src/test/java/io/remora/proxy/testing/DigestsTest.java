package io.remora.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DigestsTest {

    @Test
    void sha256MatchesKnownVector() throws IOException {
        String abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        byte[] data = "abc".getBytes(StandardCharsets.US_ASCII);
        assertThat(Digests.sha256Hex(data)).isEqualTo(abc);
        assertThat(Digests.sha256Hex(new ByteArrayInputStream(data))).isEqualTo(abc);
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        assertThat(Digests.sha256Hex(buf)).isEqualTo(abc);
        assertThat(buf.readerIndex()).isZero();
    }

    @Test
    void randomBytesAreDeterministicAndIndependentOfChunking() throws IOException {
        byte[] whole = Digests.randomBytes(42, 10_007);
        assertThat(Digests.randomBytes(42, 10_007)).isEqualTo(whole);
        assertThat(Digests.randomBytes(43, 10_007)).isNotEqualTo(whole);
        assertThat(Digests.randomBytes(42, 100)).isEqualTo(java.util.Arrays.copyOf(whole, 100));

        Digests.RandomStream rnd = new Digests.RandomStream(42);
        byte[] chunked = new byte[whole.length];
        int[] sizes = {1, 3, 8, 13, 0, 7, 64, 5};
        int off = 0;
        for (int i = 0; off < chunked.length; i++) {
            int len = Math.min(sizes[i % sizes.length], chunked.length - off);
            rnd.nextBytes(chunked, off, len);
            off += len;
        }
        assertThat(chunked).isEqualTo(whole);

        Digests.RandomStream rnd2 = new Digests.RandomStream(42);
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; buf.readableBytes() < whole.length; i++) {
            rnd2.nextBytes(buf, Math.min(sizes[i % sizes.length], whole.length - buf.readableBytes()));
        }
        byte[] viaBuf = new byte[whole.length];
        buf.readBytes(viaBuf);
        assertThat(viaBuf).isEqualTo(whole);

        assertThat(Digests.randomStream(42, whole.length).readAllBytes()).isEqualTo(whole);
        assertThat(Digests.sha256OfRandom(42, whole.length)).isEqualTo(Digests.sha256Hex(whole));
    }

    @Test
    void randomBytesAreNotTrivial() {
        byte[] b = Digests.randomBytes(1, 4096);
        int[] counts = new int[256];
        for (byte x : b) {
            counts[x & 0xff]++;
        }
        // every byte value turns up and none dominates
        assertThat(counts).doesNotContain(0);
        assertThat(java.util.Arrays.stream(counts).max().getAsInt()).isLessThan(64);
    }
}
