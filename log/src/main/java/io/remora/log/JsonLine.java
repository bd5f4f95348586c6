package io.remora.log;

import java.net.InetSocketAddress;

/**
 * Builds one JSON object on a single line into a per-thread reused {@link StringBuilder}, so formatting a log line
 * allocates only the resulting String. Strings are escaped per RFC 8259: quote, backslash and control characters
 * are escaped, other characters are kept (the writer encodes UTF-8) except unpaired surrogates, which are written
 * as {@code \\uXXXX} so the line stays valid.
 */
public final class JsonLine {
    private static final ThreadLocal<JsonLine> PER_THREAD = ThreadLocal.withInitial(JsonLine::new);
    /** A builder grown past this by an unusually long line is replaced rather than kept for the thread's life. */
    private static final int RETAINED_CAPACITY = 16 * 1024;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private StringBuilder sb = new StringBuilder(512);
    private boolean inUse;
    private boolean firstField;

    private JsonLine() {
    }

    /** Starts an object; the caller must call {@link #finish()} or {@link #abandon()}. */
    public static JsonLine begin() {
        JsonLine line = PER_THREAD.get();
        if (line.inUse) {
            // Re-entered on this thread (a value's toString logged something): use a private builder.
            line = new JsonLine();
        }
        line.inUse = true;
        line.firstField = true;
        line.sb.setLength(0);
        line.sb.append('{');
        return line;
    }

    /** A string field; omitted when {@code value} is null. */
    public JsonLine string(String name, CharSequence value) {
        if (value != null) {
            name(name);
            quote(sb, value);
        }
        return this;
    }

    public JsonLine number(String name, long value) {
        name(name);
        sb.append(value);
        return this;
    }

    /** A JSON value for an arbitrary object: numbers and booleans as such, null as null, anything else a string. */
    public JsonLine value(String name, Object value) {
        name(name);
        if (value == null) {
            sb.append("null");
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long
                || value instanceof Short || value instanceof Byte) {
            sb.append(value);
        } else if ((value instanceof Double || value instanceof Float)
                && Double.isFinite(((Number) value).doubleValue())) {
            sb.append(value);
        } else if (value instanceof CharSequence) {
            quote(sb, (CharSequence) value);
        } else if (value instanceof InetSocketAddress) {
            InetSocketAddress a = (InetSocketAddress) value;
            String host = a.getHostString();
            quote(sb, host.indexOf(':') >= 0 ? "[" + host + "]:" + a.getPort() : host + ":" + a.getPort());
        } else if (value instanceof Throwable) {
            quote(sb, Throwables.describe((Throwable) value));
        } else {
            quote(sb, String.valueOf(value));
        }
        return this;
    }

    /** ISO-8601 UTC with milliseconds, e.g. {@code 2026-11-24T09:03:07.042Z}. */
    public JsonLine time(String name, long epochMillis) {
        name(name);
        sb.append('"');
        appendIsoTime(sb, epochMillis);
        sb.append('"');
        return this;
    }

    /** Microseconds written as milliseconds with three decimals ({@code 1234} becomes {@code 1.234}). */
    public JsonLine millis(String name, long micros) {
        name(name);
        long us = Math.max(0, micros);
        sb.append(us / 1000).append('.');
        long fraction = us % 1000;
        if (fraction < 100) {
            sb.append('0');
        }
        if (fraction < 10) {
            sb.append('0');
        }
        sb.append(fraction);
        return this;
    }

    public String finish() {
        sb.append('}');
        String line = sb.toString();
        abandon();
        return line;
    }

    /** Releases the builder without producing a line (after a failure while formatting). */
    public void abandon() {
        if (sb.capacity() > RETAINED_CAPACITY) {
            sb = new StringBuilder(512);
        }
        inUse = false;
    }

    private void name(String name) {
        if (!firstField) {
            sb.append(',');
        }
        firstField = false;
        quote(sb, name);
        sb.append(':');
    }

    static void quote(StringBuilder sb, CharSequence s) {
        sb.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(sb, c);
                    } else if (Character.isSurrogate(c)) {
                        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                            sb.append(c).append(s.charAt(++i));
                        } else {
                            unicodeEscape(sb, c);
                        }
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static void unicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf])
                .append(HEX[c & 0xf]);
    }

    /** Formats without java.time objects: days since the epoch to a civil date (H. Hinnant's algorithm). */
    static void appendIsoTime(StringBuilder sb, long epochMillis) {
        long days = Math.floorDiv(epochMillis, 86_400_000L);
        long millisOfDay = Math.floorMod(epochMillis, 86_400_000L);
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        long day = dayOfYear - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);

        pad(sb, year, 4);
        sb.append('-');
        pad(sb, month, 2);
        sb.append('-');
        pad(sb, day, 2);
        sb.append('T');
        pad(sb, millisOfDay / 3_600_000, 2);
        sb.append(':');
        pad(sb, millisOfDay / 60_000 % 60, 2);
        sb.append(':');
        pad(sb, millisOfDay / 1000 % 60, 2);
        sb.append('.');
        pad(sb, millisOfDay % 1000, 3);
        sb.append('Z');
    }

    private static void pad(StringBuilder sb, long value, int width) {
        long limit = 1;
        for (int i = 1; i < width; i++) {
            limit *= 10;
            if (value < limit) {
                sb.append('0');
            }
        }
        sb.append(value);
    }
}
