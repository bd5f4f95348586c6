package io.remora.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Ordered rules for requests addressed to some services: first matching rule wins. */
public record Route(Metadata metadata, Spec spec) implements Resource {
    public Route {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(spec, "spec");
    }

    @Override
    public String kind() {
        return "Route";
    }

    /**
     * @param services service keys ({@code name.namespace}) or hosts this route applies to
     * @param rules    evaluated in order
     */
    public record Spec(List<String> services, List<Rule> rules) {
        public Spec {
            services = services == null ? List.of() : List.copyOf(services);
            rules = rules == null ? List.of() : List.copyOf(rules);
        }
    }

    /**
     * @param name     for logs and metrics
     * @param matches  any one matching selects the rule; empty matches everything
     * @param backends weighted targets; the request goes to one of them
     */
    public record Rule(String name, List<Match> matches, List<Backend> backends) {
        public Rule {
            matches = matches == null ? List.of() : List.copyOf(matches);
            backends = backends == null ? List.of() : List.copyOf(backends);
        }
    }

    /** All given conditions must hold. */
    public record Match(StringMatch path, String method, Map<String, StringMatch> headers) {
        public Match {
            headers = headers == null ? Map.of() : Map.copyOf(headers);
        }
    }

    /** Exactly one of exact, prefix, regex. */
    public record StringMatch(String exact, String prefix, String regex) {
        public static StringMatch exact(String s) {
            return new StringMatch(s, null, null);
        }

        public static StringMatch prefix(String s) {
            return new StringMatch(null, s, null);
        }

        public static StringMatch regex(String s) {
            return new StringMatch(null, null, s);
        }
    }

    /**
     * @param service service key ({@code name.namespace})
     * @param subset  subset name within the service; null means all endpoints
     * @param weight  relative share (default 1)
     */
    public record Backend(String service, String subset, int weight) {
        public Backend {
            Objects.requireNonNull(service, "service");
            weight = weight < 0 ? 0 : weight;
        }
    }
}
