package io.remora.config;

import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The YAML documents of one file as node trees (which keep line and column), with empty documents skipped and
 * encoding or syntax errors reported at their position. Documents before a syntax error are still returned.
 */
final class YamlDocuments {
    private YamlDocuments() {
    }

    static List<Node> read(String file, byte[] bytes, List<ConfigError> errors) {
        String text = decode(file, bytes, errors);
        if (text == null) {
            return List.of();
        }
        List<Node> documents = new ArrayList<>();
        LoaderOptions options = new LoaderOptions();
        options.setProcessComments(false);
        try {
            for (Node document : new Yaml(options).composeAll(new StringReader(text))) {
                if (!RecordBinder.isAbsent(document)) {
                    documents.add(document);
                }
            }
        } catch (MarkedYAMLException e) {
            errors.add(syntaxError(file, e));
        } catch (YAMLException e) {
            errors.add(new ConfigError(file, 0, 0, "", "cannot read YAML: " + e.getMessage()));
        }
        return documents;
    }

    private static ConfigError syntaxError(String file, MarkedYAMLException e) {
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
