package io.remora.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fields an access-log line may hold, in the order the default line writes them, each under its JSON name and,
 * where Envoy has one, the command operator Envoy's access log writes the same value with. A Sidecar's
 * {@code accessLogFields} names them either way ({@code status} or {@code %RESPONSE_CODE%}); the line always uses
 * the JSON name, so every Remora line reads the same whichever spelling chose it. The catalogue lives here, beside
 * the config that names it, so a name is checked where it is written; the proxy maps each to its writer.
 */
public enum AccessLogField {
    TIME("%START_TIME%"),
    /** {@code access}; the operational log's lines say {@code log}, so the two can share stdout. */
    TYPE,
    DIRECTION,
    PROTOCOL("%PROTOCOL%"),
    METHOD("%REQ(:METHOD)%"),
    AUTHORITY("%REQ(:AUTHORITY)%"),
    PATH("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "%REQ(:PATH)%"),
    STATUS("%RESPONSE_CODE%"),
    GRPC_STATUS("%GRPC_STATUS%"),
    FLAGS("%RESPONSE_FLAGS%"),
    RESPONSE_CODE_DETAILS("%RESPONSE_CODE_DETAILS%"),
    DURATION_MS("%DURATION%"),
    UPSTREAM_SERVICE_TIME_MS("%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%"),
    UPSTREAM_CLUSTER("%UPSTREAM_CLUSTER%"),
    UPSTREAM_HOST("%UPSTREAM_HOST%"),
    ATTEMPTS("%UPSTREAM_REQUEST_ATTEMPT_COUNT%"),
    BYTES_RECEIVED("%BYTES_RECEIVED%"),
    BYTES_SENT("%BYTES_SENT%"),
    REQUEST_ID("%REQ(X-REQUEST-ID)%"),
    TRACE_ID("%TRACE_ID%"),
    DOWNSTREAM_REMOTE("%DOWNSTREAM_REMOTE_ADDRESS%"),
    X_FORWARDED_FOR("%REQ(X-FORWARDED-FOR)%"),
    SNI("%REQUESTED_SERVER_NAME%"),
    ROUTE("%ROUTE_NAME%"),
    USER_AGENT("%REQ(USER-AGENT)%"),
    PEER_PRINCIPAL,
    DETAILS;

    /** Every field, in the default line's order: what a Sidecar that chooses none writes. */
    public static final List<AccessLogField> DEFAULT = List.of(values());

    private static final Map<String, AccessLogField> BY_NAME = byName();

    private final String jsonName = name().toLowerCase(Locale.ROOT);
    private final List<String> envoyOperators;

    AccessLogField(String... envoyOperators) {
        this.envoyOperators = List.of(envoyOperators);
    }

    /** The name the line writes it under ({@code duration_ms}). */
    public String jsonName() {
        return jsonName;
    }

    /** Envoy's command operators for the same value ({@code %DURATION%}); empty when Envoy has none. */
    public List<String> envoyOperators() {
        return envoyOperators;
    }

    /** The field {@code name} names, as a JSON name or an Envoy operator (exact spelling); null when none. */
    public static AccessLogField named(String name) {
        return BY_NAME.get(name);
    }

    /** {@code names} as fields; throws for a name {@link #named} does not know (the validator reports those first). */
    public static List<AccessLogField> parse(List<String> names) {
        List<AccessLogField> fields = new ArrayList<>(names.size());
        for (String name : names) {
            AccessLogField field = named(name);
            if (field == null) {
                throw new IllegalArgumentException("unknown access-log field '" + name + "'");
            }
            fields.add(field);
        }
        return Collections.unmodifiableList(fields);
    }

    /** The JSON names of every field, in order, as errors list them. */
    public static List<String> jsonNames() {
        return DEFAULT.stream().map(AccessLogField::jsonName).toList();
    }

    /** Every name a field may be given by: JSON names and Envoy operators. */
    public static Collection<String> names() {
        return BY_NAME.keySet();
    }

    private static Map<String, AccessLogField> byName() {
        Map<String, AccessLogField> map = new LinkedHashMap<>();
        for (AccessLogField field : values()) {
            map.put(field.jsonName, field);
            for (String operator : field.envoyOperators) {
                map.put(operator, field);
            }
        }
        return Collections.unmodifiableMap(map);
    }
}
