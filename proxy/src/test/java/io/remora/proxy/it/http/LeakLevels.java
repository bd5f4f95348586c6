package io.remora.proxy.it.http;

import io.netty.util.ResourceLeakDetector;

import java.util.concurrent.Callable;

/**
 * The suite runs with leak detection at paranoid: every buffer tracked, a stack trace recorded at each
 * access. Moving hundreds of MiB that way takes minutes, so bulk transfers run at {@code ADVANCED} (one
 * buffer in 128 tracked, still with access records): a leak on the bulk path leaks on every buffer and is
 * still reported, while every small-body test exercising the same paths stays at paranoid.
 */
final class LeakLevels {
    private LeakLevels() {
    }

    static <T> T sampled(Callable<T> bulk) throws Exception {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        if (before.ordinal() > ResourceLeakDetector.Level.ADVANCED.ordinal()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.ADVANCED);
        }
        try {
            return bulk.call();
        } finally {
            ResourceLeakDetector.setLevel(before);
        }
    }
}
