package io.remora.proxy.authz;

/** One value of an authorization rule: exact, prefix ({@code a*}), suffix ({@code *a}) or anything ({@code *}). */
record Pattern(String text, Kind kind) {
    enum Kind { EXACT, PREFIX, SUFFIX, ANY }

    static Pattern of(String value) {
        if (value.equals("*")) {
            return new Pattern("", Kind.ANY);
        }
        if (value.endsWith("*")) {
            return new Pattern(value.substring(0, value.length() - 1), Kind.PREFIX);
        }
        if (value.startsWith("*")) {
            return new Pattern(value.substring(1), Kind.SUFFIX);
        }
        return new Pattern(value, Kind.EXACT);
    }

    /** Whether {@code value} matches; a null value (unknown) matches nothing. */
    boolean matches(String value) {
        if (value == null) {
            return false;
        }
        return switch (kind) {
            case ANY -> true;
            case EXACT -> value.equals(text);
            case PREFIX -> value.startsWith(text);
            case SUFFIX -> value.endsWith(text);
        };
    }

    static boolean any(Pattern[] patterns, String value) {
        for (Pattern p : patterns) {
            if (p.matches(value)) {
                return true;
            }
        }
        return false;
    }
}
