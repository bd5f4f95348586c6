package io.remora.proxy.route;

import io.remora.config.Route;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A compiled {@link Route.StringMatch}: exact, prefix or full regular-expression match, tested against the first
 * {@code end} characters of a value so a path can be matched without cutting its query string off. A match that
 * sets none of the three only requires the value to be present.
 */
final class StringMatcher {
    private enum Kind { EXACT, PREFIX, REGEX, PRESENT }

    private final Kind kind;
    private final String text;
    private final Pattern pattern;

    private StringMatcher(Kind kind, String text, Pattern pattern) {
        this.kind = kind;
        this.text = text;
        this.pattern = pattern;
    }

    /** Compiles {@code match}; {@code where} names it in the error for an invalid regular expression. */
    static StringMatcher compile(Route.StringMatch match, String where) {
        if (match.exact() != null) {
            return new StringMatcher(Kind.EXACT, match.exact(), null);
        }
        if (match.prefix() != null) {
            return new StringMatcher(Kind.PREFIX, match.prefix(), null);
        }
        if (match.regex() != null) {
            try {
                return new StringMatcher(Kind.REGEX, match.regex(), Pattern.compile(match.regex()));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(where + ": invalid regex \"" + match.regex() + "\": "
                        + e.getDescription(), e);
            }
        }
        return new StringMatcher(Kind.PRESENT, null, null);
    }

    boolean matches(CharSequence value) {
        return value != null && matches(value, value.length());
    }

    /** Tests {@code value[0, end)}. */
    boolean matches(CharSequence value, int end) {
        switch (kind) {
            case EXACT:
                return end == text.length() && startsWith(value, text);
            case PREFIX:
                return end >= text.length() && startsWith(value, text);
            case REGEX:
                return pattern.matcher(end == value.length() ? value : value.subSequence(0, end)).matches();
            default:
                return true;
        }
    }

    private static boolean startsWith(CharSequence value, String prefix) {
        for (int i = 0, n = prefix.length(); i < n; i++) {
            if (value.charAt(i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return kind == Kind.PRESENT ? "present" : kind.name().toLowerCase(Locale.ROOT) + " " + text;
    }
}
