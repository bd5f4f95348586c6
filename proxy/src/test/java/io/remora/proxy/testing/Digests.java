package io.remora.proxy.testing;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 helpers and a deterministic pseudo-random byte source for tests that move large bodies: compare
 * digests instead of holding both copies, and regenerate the expected bytes from a seed.
 *
 * <p>The byte sequence of a seed does not depend on how it is read (one call or many small ones): byte
 * {@code i} of {@code randomBytes(seed, n)} equals byte {@code i} of any longer or chunked read of the same seed.
 */
public final class Digests {

    private Digests() {
    }

    /** A fresh SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** Hex SHA-256 of {@code data}. */
    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    /** Hex SHA-256 of everything {@code in} yields until end of stream (the stream is not closed). */
    public static String sha256Hex(InputStream in) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[64 * 1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hex SHA-256 of the readable bytes of {@code buf} (indexes unchanged). */
    public static String sha256Hex(ByteBuf buf) {
        MessageDigest md = sha256();
        md.update(buf.nioBuffer());
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hex SHA-256 of the first {@code n} bytes of seed {@code seed}, without materialising them. */
    public static String sha256OfRandom(long seed, long n) {
        MessageDigest md = sha256();
        RandomStream rnd = new RandomStream(seed);
        byte[] buf = new byte[64 * 1024];
        for (long left = n; left > 0; ) {
            int len = (int) Math.min(buf.length, left);
            rnd.nextBytes(buf, 0, len);
            md.update(buf, 0, len);
            left -= len;
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The first {@code n} bytes of seed {@code seed}. */
    public static byte[] randomBytes(long seed, int n) {
        byte[] out = new byte[n];
        new RandomStream(seed).nextBytes(out, 0, n);
        return out;
    }

    /** An input stream of the first {@code n} bytes of seed {@code seed}. */
    public static InputStream randomStream(long seed, long n) {
        RandomStream rnd = new RandomStream(seed);
        return new InputStream() {
            private long left = n;

            @Override
            public int read() {
                if (left <= 0) {
                    return -1;
                }
                byte[] one = new byte[1];
                rnd.nextBytes(one, 0, 1);
                left--;
                return one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int k = (int) Math.min(len, left);
                rnd.nextBytes(b, off, k);
                left -= k;
                return k;
            }
        };
    }

    /** SplitMix64 bytes, little-endian within each 64-bit word. Not thread-safe. */
    public static final class RandomStream {
        private long state;
        private long word;
        private int left;
        private byte[] scratch;

        public RandomStream(long seed) {
            this.state = seed;
        }

        private long nextLong() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        public void nextBytes(byte[] dst, int off, int len) {
            int i = off;
            int end = off + len;
            while (i < end && left > 0) {
                dst[i++] = (byte) word;
                word >>>= 8;
                left--;
            }
            while (end - i >= 8) {
                long w = nextLong();
                for (int k = 0; k < 8; k++) {
                    dst[i + k] = (byte) (w >>> (8 * k));
                }
                i += 8;
            }
            if (i < end) {
                word = nextLong();
                left = 8;
                while (i < end) {
                    dst[i++] = (byte) word;
                    word >>>= 8;
                    left--;
                }
            }
        }

        /**
         * Appends the next {@code len} bytes to {@code dst}. Fills a scratch array and copies it in large
         * blocks: one buffer call per block keeps leak-aware buffers (paranoid leak detection records every
         * call) fast.
         */
        public void nextBytes(ByteBuf dst, int len) {
            if (scratch == null) {
                scratch = new byte[16 * 1024];
            }
            for (int remaining = len; remaining > 0; ) {
                int n = Math.min(scratch.length, remaining);
                nextBytes(scratch, 0, n);
                dst.writeBytes(scratch, 0, n);
                remaining -= n;
            }
        }
    }
}
