package io.remora.log;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes lines (one JSON document each) to an output stream from a single background daemon thread, so that no
 * event loop ever blocks on stdout. Producers put lines on a lock-free queue bounded by a counter; when the queue is
 * full a line is dropped and counted rather than waited for. The writer thread encodes UTF-8 into a buffered stream
 * and flushes whenever the queue runs empty, so lines appear promptly under light load and in large writes under
 * heavy load.
 */
public final class JsonWriter implements AutoCloseable {
    /** Lines that may wait to be written before new ones are dropped. */
    public static final int DEFAULT_CAPACITY = 8192;
    private static final int BUFFER_BYTES = 64 * 1024;

    private final BufferedOutputStream out;
    private final int capacity;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    /** Lines in the queue (flush requests are not counted). */
    private final AtomicInteger queued = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder writeErrors = new LongAdder();
    private final Thread thread;
    /** Set by the writer thread just before it parks; producers unpark it only then. */
    private volatile boolean sleeping;
    private volatile boolean closed;

    public JsonWriter(OutputStream out) {
        this(out, DEFAULT_CAPACITY);
    }

    /**
     * @param out      destination; not closed by {@link #close()}
     * @param capacity lines that may be queued before {@link #offer} drops
     */
    public JsonWriter(OutputStream out, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.out = new BufferedOutputStream(Objects.requireNonNull(out, "out"), BUFFER_BYTES);
        this.capacity = capacity;
        this.thread = new Thread(this::drain, "remora-log-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The process-wide writer to stdout, started on first use and flushed when the JVM shuts down. */
    public static JsonWriter stdout() {
        return Stdout.WRITER;
    }

    private static final class Stdout {
        static final JsonWriter WRITER = new JsonWriter(new FileOutputStream(FileDescriptor.out));

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> WRITER.flushAndWait(Duration.ofSeconds(2)),
                    "remora-log-flush"));
        }
    }

    /**
     * Queues {@code line} (without its newline) for writing; never blocks.
     *
     * @return false when the queue is full or the writer is closed; the line is then dropped and counted
     */
    public boolean offer(String line) {
        if (closed) {
            dropped.increment();
            return false;
        }
        if (queued.incrementAndGet() > capacity) {
            queued.decrementAndGet();
            dropped.increment();
            return false;
        }
        queue.offer(line);
        wakeWriter();
        return true;
    }

    /**
     * Waits until every line queued before this call is written and flushed, or until {@code timeout} passes.
     *
     * @return true when flushed in time
     */
    public boolean flushAndWait(Duration timeout) {
        if (!thread.isAlive()) {
            return queue.isEmpty();
        }
        CountDownLatch done = new CountDownLatch(1);
        queue.offer(done);
        wakeWriter();
        try {
            return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Lines dropped because the queue was full (or the writer closed). */
    public long dropped() {
        return dropped.sum();
    }

    /** Lines handed to the output stream. */
    public long written() {
        return written.sum();
    }

    /** Writes and flushes that failed with an I/O error (their lines are lost). */
    public long writeErrors() {
        return writeErrors.sum();
    }

    /** Writes what is queued, then stops the writer thread; later offers are dropped. Does not close the stream. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void wakeWriter() {
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    private void drain() {
        while (true) {
            Object item = queue.poll();
            if (item instanceof String) {
                queued.decrementAndGet();
                write((String) item);
            } else if (item instanceof CountDownLatch) {
                flush();
                ((CountDownLatch) item).countDown();
            } else {
                flush();
                if (closed && queue.isEmpty()) {
                    return;
                }
                // A producer that enqueues after this volatile write sees sleeping == true and unparks us; one that
                // enqueued before it is seen by the emptiness check. No wake-up is lost.
                sleeping = true;
                if (queue.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                sleeping = false;
            }
        }
    }

    private void write(String line) {
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8));
            out.write('\n');
            written.increment();
        } catch (IOException e) {
            writeErrors.increment();
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            writeErrors.increment();
        }
    }
}
