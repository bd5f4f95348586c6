package io.remora.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Text to value for every scalar type of the model (string, int, boolean, duration, enum, host:port). Files and
 * environment overrides go through the same converters, so both accept exactly the same syntax.
 */
final class Scalars {
    private static final Pattern DECIMAL = Pattern.compile("[-+]?\\d{1,18}");
    private static final Pattern NUMBER_TEXT = Pattern.compile("[-+]?\\d{1,9}(\\.\\d{1,9})?");
    private static final String NUMBER = "a number like 12 or 0.5";

    private Scalars() {
    }

    /** Whether values of this type are written as one scalar. */
    static boolean isScalar(Class<?> type) {
        return type == String.class || type == int.class || type == Integer.class || type == boolean.class
                || type == Boolean.class || type == double.class || type == Double.class || type == Duration.class || type == HostPort.class || type.isEnum();
    }

    /**
     * Converts text to a value of {@code type}.
     *
     * @param range accepted integers, for int types; null means any int
     * @throws IllegalArgumentException with a message starting {@code expected ...}
     */
    static Object convert(String text, Class<?> type, IntRange range) {
        if (type == String.class) {
            return text;
        }
        if (type == int.class || type == Integer.class) {
            return toInt(text, range == null ? IntRange.ANY : range);
        }
        if (type == boolean.class || type == Boolean.class) {
            return toBoolean(text);
        }
        if (type == double.class || type == Double.class) {
            return toDouble(text);
        }
        if (type == Duration.class) {
            return Durations.parse(text);
        }
        if (type == HostPort.class) {
            return toHostPort(text);
        }
        if (type.isEnum()) {
            return toEnum(text, type);
        }
        throw new IllegalStateException("not a scalar type: " + type);
    }

    /** What an error message says was expected for this scalar type. */
    static String expected(Class<?> type, IntRange range) {
        if (type == String.class) {
            return "a string";
        }
        if (type == int.class || type == Integer.class) {
            return (range == null ? IntRange.ANY : range).description();
        }
        if (type == boolean.class || type == Boolean.class) {
            return "true or false";
        }
        if (type == double.class || type == Double.class) {
            return NUMBER;
        }
        if (type == Duration.class) {
            return Durations.EXPECTED;
        }
        if (type == HostPort.class) {
            return "host:port like 127.0.0.1:9001 or [::1]:9001";
        }
        if (type.isEnum()) {
            return "one of: " + allowed(type);
        }
        throw new IllegalStateException("not a scalar type: " + type);
    }

    /** How config writes an enum constant: lower case, words joined by {@code -} ({@code least-request}). */
    static String name(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static int toInt(String text, IntRange range) {
        String s = text.trim();
        if (!DECIMAL.matcher(s).matches()) {
            throw new IllegalArgumentException("expected " + range.description());
        }
        long value = Long.parseLong(s);
        if (!range.contains(value)) {
            throw new IllegalArgumentException("expected " + range.description());
        }
        return (int) value;
    }

    private static double toDouble(String text) {
        if (!NUMBER_TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("expected " + NUMBER);
        }
        return Double.parseDouble(text);
    }

    private static boolean toBoolean(String text) {
        String s = text.trim();
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("expected true or false");
    }

    private static HostPort toHostPort(String text) {
        HostPort hostPort;
        try {
            hostPort = HostPort.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected " + expected(HostPort.class, null) + hostPortHint(text), e);
        }
        if (!HostNames.isHost(hostPort.host())) {
            throw new IllegalArgumentException("expected " + expected(HostPort.class, null)
                    + " whose host is a DNS name or an IP address");
        }
        return hostPort;
    }

    /** Which part of a malformed host:port is wrong, when that can be told. */
    private static String hostPortHint(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            return "";
        }
        String port = s.substring(colon + 1);
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
            return " (the port must be a number 0-65535)";
        }
        String host = s.substring(0, colon);
        if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
            return " (IPv6 addresses are written in brackets)";
        }
        return "";
    }

    private static Enum<?> toEnum(String text, Class<?> type) {
        String wanted = text.trim().replace('-', '_');
        for (Object constant : type.getEnumConstants()) {
            if (((Enum<?>) constant).name().equalsIgnoreCase(wanted)) {
                return (Enum<?>) constant;
            }
        }
        throw new IllegalArgumentException("expected one of: " + allowed(type));
    }

    private static String allowed(Class<?> type) {
        return Arrays.stream(type.getEnumConstants()).map(c -> name((Enum<?>) c)).collect(Collectors.joining(", "));
    }
}
