package io.remora.log;

import java.time.Duration;
import java.util.logging.ErrorManager;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * A java.util.logging handler writing each record as a JSON line: {@code time}, {@code level} (SEVERE: error,
 * WARNING: warn, INFO: info, finer: debug), {@code logger}, {@code event} ("jul"), {@code message} (parameters
 * substituted) and {@code exception} (class, message and stack trace in one string).
 */
final class JulJsonHandler extends Handler {
    private static final SimpleFormatter MESSAGE_FORMATTER = new SimpleFormatter();

    @Override
    public void publish(LogRecord record) {
        if (record == null || !isLoggable(record)) {
            return;
        }
        String level = level(record.getLevel());
        if (level.equals("debug") && !Log.isDebugEnabled()) {
            return;
        }
        JsonLine line = JsonLine.begin();
        String text;
        try {
            line.time("time", record.getMillis())
                    .string("type", "log")
                    .string("level", level)
                    .string("logger", record.getLoggerName() != null ? record.getLoggerName() : "jul")
                    .string("event", "jul")
                    .string("message", MESSAGE_FORMATTER.formatMessage(record));
            if (record.getThrown() != null) {
                line.value("exception", record.getThrown());
            }
            text = line.finish();
        } catch (RuntimeException e) {
            line.abandon();
            reportError("could not format a log record", e, ErrorManager.FORMAT_FAILURE);
            return;
        }
        Log.writer().offer(text);
    }

    static String level(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "error";
        }
        if (value >= Level.WARNING.intValue()) {
            return "warn";
        }
        if (value >= Level.INFO.intValue()) {
            return "info";
        }
        return "debug";
    }

    @Override
    public void flush() {
        Log.writer().flushAndWait(Duration.ofSeconds(1));
    }

    @Override
    public void close() {
        flush();
    }
}
