package io.remora.injector;

import tools.jackson.databind.JsonNode;

import java.util.List;

/**
 * The outcome of {@link Injector#inject}: the pod after injection (a new tree; the input is never changed), why,
 * and the warnings for annotation values that were out of range.
 *
 * @param outcome  what happened
 * @param pod      the resulting pod: injected, annotated with a skip reason, or equal to the input
 * @param reason   one line for logs and the admission response's {@code status.message}
 * @param warnings annotation values replaced by defaults (also in {@code remora.io/status})
 */
public record Injection(Outcome outcome, JsonNode pod, String reason, List<String> warnings) {
    public Injection {
        warnings = List.copyOf(warnings);
    }

    /** The bounded set of results, also the {@code result} tag of {@code remora_injector_requests_total}. */
    public enum Outcome {
        /** The sidecar was added. */
        INJECTED("injected"),
        /** The pod asked for injection but cannot have it (hostNetwork, a system namespace): the reason is in
         * {@code remora.io/status}. */
        SKIPPED("skipped"),
        /** The pod is not ours: not opted in, opted out, already injected, or no pod at all. Nothing changed. */
        UNCHANGED("unchanged");

        private final String tag;

        Outcome(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }
}
