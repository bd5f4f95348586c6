package io.remora.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The training run bin/remora makes its ahead-of-time cache from: it must start a real sidecar, get answers through
 * it and stop it, or a JDK 25 cache would hold nothing of the request path (bin/remora would then start without one).
 */
@Timeout(60)
class AotTrainingTest {
    @Test
    void proxiesThroughARealSidecarAndStopsIt() throws Exception {
        assertThat(AotTraining.run(200)).isTrue();
    }
}
