package io.remora.proxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Turns Netty's leak reports into test failures. Netty logs a leak ({@code LEAK: ...}) through
 * {@code java.util.logging} (the test classpath has no other logging backend) when a tracked buffer is
 * garbage collected unreleased and a later allocation polls the detector. After each test this extension
 * forces a collection, allocates tracked buffers so pending reports are flushed, and fails the test if any
 * report was logged since the previous check. The build runs tests with {@code leakDetection.level=paranoid}
 * so every buffer is tracked; a leak is then reported by the test that leaked it or, if its buffer is only
 * collected later, by a following test of the same class.
 *
 * <p>Use with {@code @ExtendWith(LeakFailingExtension.class)}.
 */
public final class LeakFailingExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private static final Logger DETECTOR_LOGGER = Logger.getLogger(ResourceLeakDetector.class.getName());
    private static final Capture CAPTURE = new Capture();

    static {
        DETECTOR_LOGGER.addHandler(CAPTURE);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        collectAndFlush();
        CAPTURE.drain(); // reports from earlier classes belong to them, not to this one
    }

    @Override
    public void afterEach(ExtensionContext context) {
        check(context.getDisplayName());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        check(context.getDisplayName());
    }

    private static void check(String where) {
        collectAndFlush();
        List<String> leaks = CAPTURE.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " leak(s) by the end of " + where + ":\n"
                    + String.join("\n\n", leaks));
        }
    }

    /** Runs the GC until a sentinel reference is cleared, then polls the detectors by allocating. */
    private static void collectAndFlush() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        for (int round = 0; round < 2; round++) {
            WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
            for (int i = 0; i < 20 && sentinel.get() != null; i++) {
                System.gc();
            }
            try {
                queue.remove(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (ByteBufAllocator alloc : List.of(ByteBufAllocator.DEFAULT, PooledByteBufAllocator.DEFAULT,
                    UnpooledByteBufAllocator.DEFAULT)) {
                for (int i = 0; i < 4; i++) {
                    ByteBuf b = alloc.directBuffer(1);
                    b.release();
                    b = alloc.heapBuffer(1);
                    b.release();
                }
            }
        }
    }

    private static final class Capture extends Handler {
        private final List<String> leaks = new ArrayList<>();

        Capture() {
            setLevel(Level.ALL);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            String msg = record.getMessage();
            if (msg != null && msg.contains("LEAK:")) {
                leaks.add(msg);
            }
        }

        synchronized List<String> drain() {
            List<String> out = new ArrayList<>(leaks);
            leaks.clear();
            return out;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
