package io.remora.injector;

import java.util.List;

/** A line diff for test failures: the first differing region with a little context. */
final class Diff {
    private Diff() {
    }

    static String unified(String expected, String actual) {
        List<String> a = expected.lines().toList();
        List<String> b = actual.lines().toList();
        int start = 0;
        while (start < a.size() && start < b.size() && a.get(start).equals(b.get(start))) {
            start++;
        }
        int endA = a.size();
        int endB = b.size();
        while (endA > start && endB > start && a.get(endA - 1).equals(b.get(endB - 1))) {
            endA--;
            endB--;
        }
        StringBuilder out = new StringBuilder("@@ line " + (start + 1) + " @@\n");
        for (int i = Math.max(0, start - 3); i < start; i++) {
            out.append("  ").append(a.get(i)).append('\n');
        }
        for (int i = start; i < endA; i++) {
            out.append("- ").append(a.get(i)).append('\n');
        }
        for (int i = start; i < endB; i++) {
            out.append("+ ").append(b.get(i)).append('\n');
        }
        return out.toString();
    }
}
