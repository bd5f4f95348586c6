package io.remora.proxy.leak;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The leak check itself must be able to fail: a buffer dropped without release is reported. */
class LeakDetectionExtensionTest {
    @Test
    void droppedBufferFailsTheCheckAndCleanRunPasses() throws InterruptedException {
        assertThatCode(() -> LeakDetectionExtension.check("before")).doesNotThrowAnyException();
        leakOne();
        assertThatThrownBy(() -> LeakDetectionExtension.check("leaky"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("LEAK");
        assertThatCode(() -> LeakDetectionExtension.check("after")).doesNotThrowAnyException();
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.directBuffer(1024).writeLong(42);
    }
}
