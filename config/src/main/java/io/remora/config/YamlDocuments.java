package io.remora.config;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The YAML documents of one file as node trees (which keep line and column), with empty documents skipped and
 * encoding or syntax errors reported at their position ({@link YamlSyntax}). Documents before a syntax error are
 * still handed on. The parser's limits follow the file size limit: no more code points than the limit, and aliases
 * may not make a document larger (in nodes) than a file at the limit could be, nor contain themselves, so an alias
 * bomb costs no more to bind than the largest file accepted.
 */
final class YamlDocuments {
    /** Aliases to collections per document; the expansion check below bounds what they can add up to. */
    static final int MAX_ALIASES = 50;
    /** Nesting depth of collections; the model's deepest path is a fraction of it. */
    static final int MAX_NESTING = 50;

    private YamlDocuments() {
    }

    /**
     * Hands each document to {@code each} as soon as it is read, so only one document's nodes are held at a time.
     *
     * @param limit the most code points read, and the most nodes a document may expand to through aliases
     */
    static void read(String file, byte[] bytes, int limit, List<ConfigError> errors, Consumer<Node> each) {
        String text = decode(file, bytes, errors);
        if (text == null) {
            return;
        }
        LoaderOptions options = new LoaderOptions();
        options.setProcessComments(false);
        options.setCodePointLimit(Math.max(limit, 1));
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_NESTING);
        options.setAllowRecursiveKeys(false);
        try {
            for (Node document : new Yaml(options).composeAll(new StringReader(text))) {
                if (RecordBinder.isAbsent(document)) {
                    continue;
                }
                String expansion = expansionProblem(document, limit);
                if (expansion != null) {
                    errors.add(new ConfigError(file, document.getStartMark().getLine() + 1,
                            document.getStartMark().getColumn() + 1, "", expansion));
                    return;
                }
                each.accept(document);
            }
        } catch (MarkedYAMLException e) {
            errors.add(YamlSyntax.error(file, text, e));
        } catch (YAMLException e) {
            errors.add(new ConfigError(file, 0, 0, "", limitExceeded(e.getMessage(), limit)));
        }
    }

    /** The parser's limits in the project's words; other messages as the parser gave them. */
    private static String limitExceeded(String message, int limit) {
        String text = message == null ? "" : message;
        if (text.startsWith("Number of aliases")) {
            return "more than " + MAX_ALIASES + " aliases of lists and mappings in one document, expected at most "
                    + MAX_ALIASES + " (each one copies a whole collection)";
        }
        if (text.startsWith("Nesting Depth")) {
            return "lists and mappings nested more than " + MAX_NESTING + " deep, expected at most " + MAX_NESTING;
        }
        if (text.contains("exceeds the limit")) {
            return "more than " + limit + " characters, over the size limit for a config file, expected a smaller"
                    + " file (or a higher " + ConfigFiles.MAX_FILE_SIZE_VARIABLE + ")";
        }
        return "cannot read YAML: " + text;
    }

    /** Why the document's aliases make it too large or endless; null when they do not. */
    private static String expansionProblem(Node document, int limit) {
        Map<Node, Long> sizes = new IdentityHashMap<>();
        long size = expandedSize(document, sizes, new IdentityHashMap<>());
        if (size < 0) {
            return "an alias inside the collection it names (an endless value), expected aliases only to"
                    + " collections defined before and outside them";
        }
        if (size > limit) {
            return "aliases expand this document to " + size + " values, over the " + limit + " a file at the size"
                    + " limit could hold, expected fewer aliases of large collections";
        }
        return null;
    }

    /** Nodes of {@code node} with every alias expanded; -1 for a cycle. Each node is counted once (memoized). */
    private static long expandedSize(Node node, Map<Node, Long> sizes, Map<Node, Boolean> open) {
        Long known = sizes.get(node);
        if (known != null) {
            return known;
        }
        if (open.put(node, Boolean.TRUE) != null) {
            return -1;
        }
        long size = 1;
        if (node instanceof SequenceNode sequence) {
            for (Node item : sequence.getValue()) {
                size = add(size, expandedSize(item, sizes, open));
            }
        } else if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                size = add(add(size, expandedSize(tuple.getKeyNode(), sizes, open)),
                        expandedSize(tuple.getValueNode(), sizes, open));
            }
        }
        open.remove(node);
        if (size >= 0) {
            sizes.put(node, size);
        }
        return size;
    }

    private static long add(long a, long b) {
        return a < 0 || b < 0 ? -1 : Math.min(Long.MAX_VALUE / 2, a + b);
    }

    /** Strict UTF-8 (a leading byte-order mark is dropped); null after reporting malformed input. */
    private static String decode(String file, byte[] bytes, List<ConfigError> errors) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            errors.add(new ConfigError(file, 0, 0, "", "not valid UTF-8 at byte offset " + in.position()
                    + ", expected a UTF-8 text file"));
            return null;
        }
        String text = out.flip().toString();
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }
}
