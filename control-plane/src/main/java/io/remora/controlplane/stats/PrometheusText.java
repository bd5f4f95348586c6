package io.remora.controlplane.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The samples of a Prometheus text exposition (version 0.0.4), as {@code remora stat} and the control plane's
 * dashboard need them: names, labels and values; comments and types are skipped. A line it cannot read is skipped
 * too: a scrape is only read, never judged.
 */
public final class PrometheusText {
    private PrometheusText() {
    }

    public record Sample(String name, Map<String, String> labels, double value) {
        /** The label's value; empty when the sample has none. */
        public String label(String key) {
            return labels.getOrDefault(key, "");
        }
    }

    public static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            Sample s = sample(line);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        if (space < 0) {
            return null;
        }
        String name;
        Map<String, String> labels = new LinkedHashMap<>();
        int rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (i < line.length() && line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                if (eq < 0 || eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
                    return null;
                }
                String key = line.substring(i, eq).trim();
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                for (; j < line.length() && line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\' && j + 1 < line.length()) {
                        char n = line.charAt(++j);
                        value.append(n == 'n' ? '\n' : n);
                    } else {
                        value.append(c);
                    }
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (i < line.length() && line.charAt(i) == ',') {
                    i++;
                }
            }
            rest = i + 1;
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        String[] tail = line.substring(Math.min(rest, line.length())).trim().split(" ");
        try {
            return new Sample(name, labels, Double.parseDouble(tail[0]));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
