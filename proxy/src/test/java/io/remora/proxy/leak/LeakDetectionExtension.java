package io.remora.proxy.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a Netty leak report into a test failure. Registered for every test class through JUnit's
 * extension auto-detection (META-INF/services), it installs a leak-detector factory that records each
 * report; after a test class it collects garbage, makes the detectors look, and fails the class if
 * anything leaked. The build runs with {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer
 * is tracked.
 */
public final class LeakDetectionExtension implements AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        check(context.getDisplayName());
    }

    /** Fails with every leak Netty reported since the last check. */
    static void check(String scope) throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(20);
            // Detectors report what the collector found when they next track an object.
            touch(ByteBufAllocator.DEFAULT);
            touch(PooledByteBufAllocator.DEFAULT);
            Unpooled.buffer(8).release();
            Unpooled.directBuffer(8).release();
        }
        List<String> found;
        synchronized (LEAKS) {
            found = new ArrayList<>(LEAKS);
            LEAKS.clear();
        }
        if (!found.isEmpty()) {
            throw new AssertionError("Netty reported " + found.size() + " leak(s) during "
                    + scope + ":\n" + String.join("\n----\n", found));
        }
    }

    private static void touch(ByteBufAllocator alloc) {
        ByteBuf a = alloc.heapBuffer(16);
        ByteBuf b = alloc.directBuffer(16);
        a.release();
        b.release();
    }

    static void record(String report) {
        synchronized (LEAKS) {
            LEAKS.add(report);
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new ResourceLeakDetector<>(resource, samplingInterval, maxActive) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    record("LEAK: " + resourceType + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    record("LEAK: " + resourceType + " (no records; run with paranoid level)");
                    super.reportUntracedLeak(resourceType);
                }
            };
        }
    }
}
