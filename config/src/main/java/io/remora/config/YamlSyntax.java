package io.remora.config;

import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML syntax error in the project's words, at the line that is wrong. SnakeYAML reports where its parser gave up,
 * which for the common mistakes is often a line later than the mistake ("could not find expected ':'" at the line
 * after a {@code key value} without a colon, "expected &lt;block end&gt;" for an indentation) and in its own terms;
 * this names the mistake and what was expected: {@code file:line:col: what is wrong, expected what}. Uncommon errors
 * keep SnakeYAML's words.
 */
final class YamlSyntax {
    /** A {@code key: value} (or {@code - key: value}) before a position on the same line. */
    private static final Pattern KEY_BEFORE = Pattern.compile("^\\s*(-\\s+)*[^#\"'\\s][^#]*?:(\\s.*)?$");

    private YamlSyntax() {
    }

    static ConfigError error(String file, String text, MarkedYAMLException e) {
        Lines lines = new Lines(text);
        String problem = e.getProblem() == null ? "" : e.getProblem();
        String context = e.getContext() == null ? "" : e.getContext();
        Mark at = e.getProblemMark();
        Mark start = e.getContextMark();
        if (at != null && problem.contains("(TAB)")) {
            return located(file, at.getLine(), at.getColumn(), "a tab character, expected spaces: YAML indents and"
                    + " separates with spaces only");
        }
        if (start != null && context.startsWith("while scanning a quoted scalar")
                && (problem.contains("end of stream") || problem.contains("document separator"))) {
            char quote = lines.charAt(start.getLine(), start.getColumn());
            return located(file, start.getLine(), start.getColumn(), "a value opened with " + quote + " is never"
                    + " closed, expected a closing " + quote + " at its end");
        }
        if (start != null && at != null && context.startsWith("while parsing a flow ")
                && problem.startsWith("expected ','")) {
            boolean list = context.contains("sequence");
            String what = list ? "a list opened with '['" : "a mapping opened with '{'";
            char close = list ? ']' : '}';
            if (at.getLine() > start.getLine()) {
                return located(file, start.getLine(), start.getColumn(), what + " is never closed, expected '"
                        + close + "' at its end");
            }
            return located(file, at.getLine(), at.getColumn(), "got " + lines.quoteFrom(at.getLine(), at.getColumn())
                    + " in " + what + ", expected ',' between its items or '" + close + "' at its end");
        }
        if (start != null && context.startsWith("while scanning a simple key")
                && problem.contains("could not find expected ':'")) {
            return missingColon(file, lines, start.getLine());
        }
        if (at != null && problem.startsWith("mapping values are not allowed here")) {
            return colonInValue(file, lines, at);
        }
        if (at != null && start != null && problem.startsWith("expected <block end>")) {
            return blockEnd(file, lines, at, start, context.contains("collection"));
        }
        if (at != null && problem.startsWith("found undefined alias")) {
            String name = problem.substring("found undefined alias".length()).trim();
            return located(file, at.getLine(), at.getColumn(), "\"*" + name + "\" names no anchor, expected an anchor"
                    + " \"&" + name + "\" earlier in the document (or quotes around a value that starts with *)");
        }
        return snakeYamlWords(file, e);
    }

    /** A {@code key value} line: the line itself is wrong, not the one after it where the parser gave up. */
    private static ConfigError missingColon(String file, Lines lines, int line) {
        int column = lines.indentation(line);
        return located(file, line, column, lines.quoteFrom(line, column) + " has no ':' after a field name,"
                + " expected \"name: value\" (a colon and a space)");
    }

    /**
     * "mapping values are not allowed here" at a colon: a second {@code key: } on one line; a field indented under a
     * line that already has its value; or, when the line above has no colon at all, that line is the mistake.
     */
    private static ConfigError colonInValue(String file, Lines lines, Mark at) {
        int line = at.getLine();
        String before = lines.line(line).substring(0, Math.min(at.getColumn(), lines.line(line).length()));
        if (KEY_BEFORE.matcher(before).matches()) {
            return located(file, line, at.getColumn(), "a second ':' on one line, expected one \"name: value\" per"
                    + " line (quotes around a value that holds \": \")");
        }
        int above = lines.contentAbove(line);
        if (above >= 0) {
            String previous = lines.line(above).trim();
            if (!previous.startsWith("-") && !previous.contains(":")) {
                return missingColon(file, lines, above);
            }
            int expected = lines.indentation(above);
            return located(file, line, lines.indentation(line), "bad indentation: " + lines.quoteFrom(line,
                    lines.indentation(line)) + " is indented " + spaces(lines.indentation(line)) + ", under line "
                    + (above + 1) + " which already has a value, expected " + spaces(expected) + " like that line (a"
                    + " field of the same mapping)");
        }
        return located(file, line, at.getColumn(), "a ':' inside a value, expected quotes around a value that holds"
                + " \": \"");
    }

    /** "expected &lt;block end&gt;": a line indented to no open block, or text after a complete value. */
    private static ConfigError blockEnd(String file, Lines lines, Mark at, Mark start, boolean list) {
        int line = at.getLine();
        int indent = lines.indentation(line);
        if (at.getColumn() != indent) {
            return located(file, line, at.getColumn(), "got " + lines.quoteFrom(line, at.getColumn())
                    + " after a complete value, expected the end of the line (quotes around a value that holds it)");
        }
        int blockIndent = start.getColumn();
        String what = list ? "the items of the list" : "the fields";
        if (lines.charAt(line, indent) == '-' && indent == blockIndent && !list) {
            return located(file, line, indent, "a list item where " + what + " of line " + (start.getLine() + 1)
                    + " are, expected \"name: value\" here, or the item indented like the other items of its list");
        }
        StringBuilder expected = new StringBuilder(spaces(blockIndent) + " like line " + (start.getLine() + 1));
        int above = lines.contentAbove(line);
        if (above >= 0 && above != start.getLine() && lines.indentation(above) != blockIndent
                && lines.indentation(above) != indent) {
            expected.append(", or ").append(spaces(lines.indentation(above))).append(" like line ").append(above + 1);
        }
        return located(file, line, indent, "bad indentation: " + lines.quoteFrom(line, indent) + " is indented "
                + spaces(indent) + ", which lines up with none of " + what + " above it, expected " + expected);
    }

    private static ConfigError snakeYamlWords(String file, MarkedYAMLException e) {
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        StringBuilder message = new StringBuilder("YAML syntax error: ")
                .append(e.getProblem() != null ? e.getProblem() : e.getContext());
        if (e.getContext() != null && e.getProblem() != null) {
            message.append(" (").append(e.getContext());
            Mark context = e.getContextMark();
            if (context != null) {
                message.append(" started at line ").append(context.getLine() + 1)
                        .append(", column ").append(context.getColumn() + 1);
            }
            message.append(')');
        }
        int line = mark == null ? 0 : mark.getLine() + 1;
        int column = mark == null ? 0 : mark.getColumn() + 1;
        return new ConfigError(file, line, column, "", message.toString());
    }

    private static ConfigError located(String file, int line, int column, String message) {
        return new ConfigError(file, line + 1, column + 1, "", message);
    }

    private static String spaces(int n) {
        return n == 1 ? "1 space" : n + " spaces";
    }

    /** The text's lines, 0-based, for looking around a mark. */
    private static final class Lines {
        private final String[] lines;

        Lines(String text) {
            this.lines = text.split("\r\n|\r|\n", -1);
        }

        String line(int index) {
            return index >= 0 && index < lines.length ? lines[index] : "";
        }

        char charAt(int line, int column) {
            String text = line(line);
            return column >= 0 && column < text.length() ? text.charAt(column) : ' ';
        }

        int indentation(int line) {
            String text = line(line);
            int i = 0;
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            return i;
        }

        /** The nearest line above {@code line} with something besides spaces and a comment; -1 when none. */
        int contentAbove(int line) {
            for (int i = Math.min(line, lines.length) - 1; i >= 0; i--) {
                String trimmed = lines[i].trim();
                if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                    return i;
                }
            }
            return -1;
        }

        /** The rest of a line from a column, without a trailing comment, quoted as errors quote values. */
        String quoteFrom(int line, int column) {
            String text = line(line);
            String rest = column < text.length() ? text.substring(column) : "";
            int comment = rest.indexOf(" #");
            if (comment >= 0) {
                rest = rest.substring(0, comment);
            }
            rest = rest.strip();
            return rest.isEmpty() ? "the end of the file" : RecordBinder.quote(rest.length() > 40
                    ? rest.substring(0, 40) + "..." : rest);
        }
    }
}
