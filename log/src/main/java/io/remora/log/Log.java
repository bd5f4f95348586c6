package io.remora.log;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Operational logging: one JSON line per event, e.g.
 * {@code {"time":"2026-11-24T09:03:07.042Z","level":"info","logger":"remora","event":"listener_bound",
 * "name":"inbound","address":"0.0.0.0:15006"}}. Events are short snake_case names; details are key/value pairs.
 * Lines go through a {@link JsonWriter} (the shared stdout writer unless {@link #install} chose another), so logging
 * never blocks an event loop. Debug lines are off unless {@code -Dremora.log.level=debug}.
 */
public final class Log {
    static final String LOGGER = "remora";

    private static volatile JsonWriter writer;
    private static volatile boolean debugEnabled =
            "debug".equalsIgnoreCase(System.getProperty("remora.log.level", "info"));

    private Log() {
    }

    /** Sends all later lines, including bridged java.util.logging records, to {@code w}. */
    public static void install(JsonWriter w) {
        writer = w;
    }

    /** Waits (up to 2 s) until every line queued so far is written; for shutdown. */
    public static void flush() {
        writer().flushAndWait(java.time.Duration.ofSeconds(2));
    }

    public static boolean isDebugEnabled() {
        return debugEnabled;
    }

    /** Turns debug lines on or off (initially on only with {@code -Dremora.log.level=debug}). */
    public static void setDebugEnabled(boolean enabled) {
        debugEnabled = enabled;
    }

    public static void debug(String event, Object... keyValues) {
        if (debugEnabled) {
            emit("debug", event, null, keyValues);
        }
    }

    public static void info(String event, Object... keyValues) {
        emit("info", event, null, keyValues);
    }

    public static void warn(String event, Object... keyValues) {
        emit("warn", event, null, keyValues);
    }

    /** An error event; {@code t} (may be null) is written as one {@code exception} field with its stack trace. */
    public static void error(String event, Throwable t, Object... keyValues) {
        emit("error", event, t, keyValues);
    }

    /**
     * Replaces the handlers of the java.util.logging root logger with one that writes records as JSON lines of the
     * same shape (Netty logs through java.util.logging when no other logging library is present). The root level
     * becomes INFO, or FINE when debug is on, so disabled library debug logging stays cheap.
     */
    public static void bridgeJul() {
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        root.addHandler(new JulJsonHandler());
        root.setLevel(debugEnabled ? Level.FINE : Level.INFO);
    }

    static JsonWriter writer() {
        JsonWriter w = writer;
        return w != null ? w : JsonWriter.stdout();
    }

    private static void emit(String level, String event, Throwable t, Object[] keyValues) {
        JsonLine line = JsonLine.begin();
        String text;
        try {
            line.time("time", System.currentTimeMillis())
                    .string("type", "log")
                    .string("level", level)
                    .string("logger", LOGGER)
                    .string("event", event);
            if (keyValues != null) {
                for (int i = 0; i < keyValues.length; i += 2) {
                    line.value(String.valueOf(keyValues[i]), i + 1 < keyValues.length ? keyValues[i + 1] : null);
                }
            }
            if (t != null) {
                line.value("exception", t);
            }
            text = line.finish();
        } catch (RuntimeException e) {
            line.abandon();
            throw e;
        }
        writer().offer(text);
    }
}
