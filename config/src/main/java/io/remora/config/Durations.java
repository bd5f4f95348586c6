package io.remora.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The duration syntax of config files: a whole number followed by one unit, {@code ms}, {@code s}, {@code m} or
 * {@code h} ({@code 250ms}, {@code 2s}, {@code 1m}, {@code 1h}); zero may be written {@code 0} or with a unit.
 */
public final class Durations {
    /** What a duration looks like; every rejection names it. */
    public static final String EXPECTED = "a duration like 250ms, 2s, 1m";

    private static final Pattern SYNTAX = Pattern.compile("(\\d{1,18})(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses a duration.
     *
     * @throws IllegalArgumentException naming what was expected, for negative, fractional, unit-less non-zero or
     *                                  otherwise malformed text, or a value too large to represent
     */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.trim();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = SYNTAX.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected " + EXPECTED);
        }
        long amount = Long.parseLong(m.group(1));
        try {
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofSeconds(Math.multiplyExact(amount, 60L));
                case "h" -> Duration.ofSeconds(Math.multiplyExact(amount, 3600L));
                default -> throw new IllegalStateException("unit matched by the pattern: " + m.group(2));
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("expected " + EXPECTED + ", small enough to represent", e);
        }
    }

    /** The shortest text {@link #parse} reads back as the same duration, in the largest unit that is exact. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative() || d.getNano() % 1_000_000 != 0 || d.getSeconds() >= Long.MAX_VALUE / 1000) {
            return d.toString();
        }
        long seconds = d.getSeconds();
        if (d.getNano() == 0) {
            if (seconds % 3600 == 0) {
                return seconds / 3600 + "h";
            }
            return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
        }
        long millis = seconds * 1000 + d.getNano() / 1_000_000;
        return millis + "ms";
    }
}
