package io.remora.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Config paths as given: files stay, a directory stands for its {@code *.yaml} and {@code *.yml} files. */
public final class ConfigFiles {
    private ConfigFiles() {
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
}
