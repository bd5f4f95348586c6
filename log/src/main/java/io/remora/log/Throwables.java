package io.remora.log;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Renders an exception for a log field. */
final class Throwables {
    private Throwables() {
    }

    /** Class, message and stack trace (with causes), as {@link Throwable#printStackTrace()} prints them. */
    static String describe(Throwable t) {
        StringWriter out = new StringWriter(1024);
        try (PrintWriter pw = new PrintWriter(out)) {
            t.printStackTrace(pw);
        }
        String s = out.toString();
        return s.endsWith(System.lineSeparator()) ? s.substring(0, s.length() - System.lineSeparator().length()) : s;
    }
}
