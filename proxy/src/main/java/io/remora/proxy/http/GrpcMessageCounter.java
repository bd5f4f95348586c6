package io.remora.proxy.http;

import io.netty.buffer.ByteBuf;

/**
 * Counts the gRPC messages of one direction of a stream as its body passes, without copying: each message is a
 * 5-byte prefix (a flag byte and a 4-byte big-endian length) and that many bytes, and may be split across body
 * chunks anywhere.
 */
final class GrpcMessageCounter {
    private long messages;
    private int prefixLeft = 5;
    private long length;
    private long bodyLeft;

    /** Reads {@code chunk}'s readable bytes (its indexes are left as they are). */
    void feed(ByteBuf chunk) {
        int i = chunk.readerIndex();
        int end = chunk.writerIndex();
        while (i < end) {
            if (bodyLeft > 0) {
                int n = (int) Math.min(bodyLeft, end - i);
                i += n;
                bodyLeft -= n;
                continue;
            }
            int b = chunk.getUnsignedByte(i++);
            if (prefixLeft == 5) {
                length = 0;
            } else {
                length = length << 8 | b;
            }
            if (--prefixLeft == 0) {
                messages++;
                bodyLeft = length;
                prefixLeft = 5;
            }
        }
    }

    long messages() {
        return messages;
    }
}
