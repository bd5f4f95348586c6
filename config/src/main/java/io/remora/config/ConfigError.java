package io.remora.config;

/**
 * One problem found in config: where it is, which field, and what was expected.
 *
 * @param file    file name as given (or {@code env} for an environment override)
 * @param line    1-based line, 0 when unknown
 * @param column  1-based column, 0 when unknown
 * @param path    field path, e.g. {@code spec.rules[0].backends[1].weight}
 * @param message what is wrong and what was expected, naming the bad value
 */
public record ConfigError(String file, int line, int column, String path, String message) {
    /** {@code file:line:col: path: message}. */
    public String format() {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line).append(':').append(column);
        }
        sb.append(": ");
        if (path != null && !path.isEmpty()) {
            sb.append(path).append(": ");
        }
        return sb.append(message).toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
