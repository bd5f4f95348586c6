package io.remora.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Config paths as given: files stay, a directory stands for its {@code *.yaml} and {@code *.yml} files. Files are
 * read up to a size limit ({@link Defaults#CONFIG_MAX_FILE_SIZE}, or {@value #MAX_FILE_SIZE_VARIABLE}), checked
 * before the bytes are read, so a huge file never reaches the YAML parser.
 */
public final class ConfigFiles {
    /** The environment variable that sets the size limit; a setting of the loader, not a Sidecar override. */
    public static final String MAX_FILE_SIZE_VARIABLE = "REMORA_CONFIG_MAX_FILE_SIZE";

    private static final Pattern SIZE = Pattern.compile("(\\d{1,10})\\s*(|B|KiB|MiB)", Pattern.CASE_INSENSITIVE);
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    private ConfigFiles() {
    }

    /** A file larger than the limit: the message says by how much, and how to raise the limit. */
    public static final class TooLargeException extends IOException {
        TooLargeException(long size, int limit) {
            super(size(size, limit) + " is over the " + size(limit, -1) + " limit for a config file, expected a"
                    + " smaller file (or a higher " + MAX_FILE_SIZE_VARIABLE + ")");
        }
    }

    /**
     * Expands directories (not recursively) into their YAML files in name order, so a directory's content is read
     * the same way every time; files are kept as given, readable or not (loading reports what is wrong with them).
     */
    public static List<Path> expand(List<Path> paths) {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.isDirectory(p)) {
                out.add(p);
                continue;
            }
            try (Stream<Path> children = Files.list(p)) {
                children.filter(Files::isRegularFile)
                        .filter(f -> {
                            String name = f.getFileName().toString();
                            return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
                        })
                        .sorted()
                        .forEach(out::add);
            } catch (IOException e) {
                out.add(p); // reported as unreadable by the loader
            }
        }
        return out;
    }

    /**
     * The bytes of {@code file}, refused before reading when it is larger than {@code limit}.
     *
     * @throws TooLargeException when the file is over the limit (its size and the limit in the message)
     * @throws IOException       when it cannot be read
     */
    public static byte[] read(Path file, int limit) throws IOException {
        long size = Files.size(file);
        if (size > limit) {
            throw new TooLargeException(size, limit);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(limit + 1); // it may have grown since it was measured
            if (bytes.length > limit) {
                throw new TooLargeException(Math.max(Files.size(file), bytes.length), limit);
            }
            return bytes;
        }
    }

    /**
     * The size limit {@code env} sets with {@value #MAX_FILE_SIZE_VARIABLE} (bytes, or a number with KiB or MiB),
     * or {@link Defaults#CONFIG_MAX_FILE_SIZE}; a value that does not parse is appended to {@code errors} and the
     * default applies.
     */
    public static int maxFileSize(Map<String, String> env, List<ConfigError> errors) {
        String text = env.get(MAX_FILE_SIZE_VARIABLE);
        if (text == null || text.isBlank()) {
            return Defaults.CONFIG_MAX_FILE_SIZE;
        }
        Matcher m = SIZE.matcher(text.trim());
        if (m.matches()) {
            String unit = m.group(2).toLowerCase(Locale.ROOT);
            long bytes = Long.parseLong(m.group(1)) * (unit.equals("kib") ? KIB : unit.equals("mib") ? MIB : 1);
            if (bytes > 0 && bytes < Integer.MAX_VALUE) {
                return (int) bytes;
            }
        }
        errors.add(new ConfigError(SourceMap.ENV, 0, 0, MAX_FILE_SIZE_VARIABLE, "got " + RecordBinder.quote(text)
                + ", expected a size above zero and below 2 GiB in bytes, or with KiB or MiB (e.g. 8MiB)"));
        return Defaults.CONFIG_MAX_FILE_SIZE;
    }

    /**
     * A size as people read it: {@code 4 MiB}, {@code 10.0 MiB}, {@code 512 KiB}; in bytes when a rounded value would
     * read the same as {@code limit} (4194305 bytes is over the 4194304-byte limit, not 4.0 over 4).
     */
    static String size(long bytes, int limit) {
        String text = bytes % MIB == 0 && limit < 0 ? bytes / MIB + " MiB"
                : bytes % KIB == 0 && limit < 0 && bytes < MIB ? bytes / KIB + " KiB"
                : bytes >= MIB ? String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB)
                : bytes >= KIB ? String.format(Locale.ROOT, "%.1f KiB", bytes / (double) KIB)
                : bytes + " bytes";
        if (limit >= 0 && text.replace(".0 ", " ").equals(size(limit, -1))) {
            return bytes + " bytes";
        }
        return text;
    }
}
