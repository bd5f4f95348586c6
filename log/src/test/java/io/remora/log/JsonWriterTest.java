package io.remora.log;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class JsonWriterTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void linesAreWrittenInOrderAsUtf8WithNewlines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonWriter writer = new JsonWriter(out)) {
            assertThat(writer.offer("{\"a\":1}")).isTrue();
            assertThat(writer.offer("{\"b\":\"caf\u00e9\"}")).isTrue();
            assertThat(writer.flushAndWait(WAIT)).isTrue();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}\n{\"b\":\"caf\u00e9\"}\n");
            assertThat(writer.written()).isEqualTo(2);
            assertThat(writer.dropped()).isZero();
        }
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        BlockingOutputStream out = new BlockingOutputStream();
        int capacity = 4;
        try (JsonWriter writer = new JsonWriter(out, capacity)) {
            assertThat(writer.offer("first")).isTrue();
            // the writer thread takes "first", finds the queue empty, flushes, and blocks in the stream
            assertThat(out.writeStarted.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < capacity; i++) {
                assertThat(writer.offer("queued-" + i)).isTrue();
            }
            assertThat(writer.offer("one too many")).isFalse();
            assertThat(writer.offer("another")).isFalse();
            assertThat(writer.dropped()).isEqualTo(2);

            out.release.countDown();
            assertThat(writer.flushAndWait(WAIT)).isTrue();
            assertThat(out.text()).isEqualTo("first\nqueued-0\nqueued-1\nqueued-2\nqueued-3\n");
            // room again once drained
            assertThat(writer.offer("later")).isTrue();
        }
    }

    @Test
    void concurrentProducersLoseNothingBelowCapacity() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int threads = 4;
        int perThread = 5_000;
        try (JsonWriter writer = new JsonWriter(out, threads * perThread)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread producer = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        writer.offer(id + "-" + i);
                    }
                });
                producer.start();
                producers.add(producer);
            }
            start.countDown();
            for (Thread producer : producers) {
                producer.join();
            }
            assertThat(writer.flushAndWait(WAIT)).isTrue();
            String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
            Set<String> unique = new HashSet<>(List.of(lines));
            assertThat(lines).hasSize(threads * perThread);
            assertThat(unique).hasSize(threads * perThread);
            assertThat(writer.dropped()).isZero();
        }
    }

    @Test
    void closeWritesWhatIsQueuedThenRefusesLines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        JsonWriter writer = new JsonWriter(out);
        writer.offer("a");
        writer.offer("b");
        writer.close();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("a\nb\n");
        assertThat(writer.offer("c")).isFalse();
        assertThat(writer.dropped()).isEqualTo(1);
        assertThat(writer.flushAndWait(WAIT)).isTrue();
    }

    @Test
    void aFailingStreamIsCountedAndDoesNotStopTheWriter() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("stdout closed");
            }
        };
        try (JsonWriter writer = new JsonWriter(broken)) {
            writer.offer("x");
            assertThat(writer.flushAndWait(WAIT)).isTrue();
            writer.offer("y");
            assertThat(writer.flushAndWait(WAIT)).isTrue();
            assertThat(writer.writeErrors()).isGreaterThanOrEqualTo(2);
        }
    }
}
