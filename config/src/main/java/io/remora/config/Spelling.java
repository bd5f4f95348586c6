package io.remora.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** "Did you mean" suggestions for misspelled names. */
final class Spelling {
    private Spelling() {
    }

    /**
     * {@code unknown <subject>, expected one of: a, b, c}, followed by {@code ; did you mean 'b'?} when one
     * candidate is close to {@code given}.
     *
     * @param subject what is unknown, as the message names it, e.g. {@code field 'treads'}
     */
    static String unknown(String subject, String given, Collection<String> candidates) {
        StringBuilder sb = new StringBuilder("unknown ").append(subject)
                .append(", expected one of: ").append(String.join(", ", candidates));
        suggest(given, candidates).ifPresent(s -> sb.append("; did you mean '").append(s).append("'?"));
        return sb.toString();
    }

    /**
     * The closest candidate when it is close enough to be a likely typo: equal ignoring case, {@code -} and
     * {@code _}, or (for names of four or more characters) within an edit distance of a third of its length, at
     * least one and at most three.
     */
    static Optional<String> suggest(String given, Collection<String> candidates) {
        String g = normalise(given);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            String c = normalise(candidate);
            int distance = distance(g, c);
            int allowed = c.length() < 4 ? 0 : Math.min(3, Math.max(1, c.length() / 3));
            if (distance <= allowed && distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    private static String normalise(String s) {
        return s.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
