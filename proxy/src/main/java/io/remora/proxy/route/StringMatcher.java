package io.remora.proxy.route;

import io.remora.config.Route;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A compiled {@link Route.StringMatch}: exact, prefix or full regular-expression match, tested against the first
 * {@code end} characters of a value so a path can be matched without cutting its query string off. A match that
 * sets none of the three only requires the value to be present. A regular expression is tested by a matcher kept per
 * thread (the event loops) and reset to the value's first {@code end} characters, so a test allocates nothing and
 * a path is never copied to drop its query.
 */
final class StringMatcher {
    private enum Kind { EXACT, PREFIX, REGEX, PRESENT }

    private final Kind kind;
    private final String text;
    private final Pattern pattern;
    /** REGEX only: this thread's matcher of {@link #pattern}. */
    private final ThreadLocal<Matcher> matcher;

    private StringMatcher(Kind kind, String text, Pattern pattern) {
        this.kind = kind;
        this.text = text;
        this.pattern = pattern;
        this.matcher = pattern == null ? null : ThreadLocal.withInitial(() -> pattern.matcher(""));
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
                // region() keeps anchoring bounds on: the expression must match all of value[0, end).
                return matcher.get().reset(value).region(0, end).matches();
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
