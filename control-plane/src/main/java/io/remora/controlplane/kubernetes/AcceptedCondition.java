package io.remora.controlplane.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.remora.config.ConfigError;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The {@code Accepted} condition of a Remora custom object: whether the control plane uses it, and if not, the
 * validator's errors. It is shown in the object's status because that is where {@code kubectl describe} and
 * {@code kubectl get -o yaml} users look; without it a rejected object would fail silently. The shape is
 * Kubernetes' standard condition ({@code type}, {@code status}, {@code reason}, {@code message},
 * {@code observedGeneration}, {@code lastTransitionTime}).
 *
 * @param accepted           true when in use, false when rejected
 * @param message            what is wrong (the errors joined), or a short note when accepted
 * @param observedGeneration the object's {@code metadata.generation} this is about; null when the API gave none
 */
record AcceptedCondition(boolean accepted, String message, Long observedGeneration) {
    static final String TYPE = "Accepted";
    /** The API's limit for a condition message. */
    static final int MAX_MESSAGE = 32768;

    AcceptedCondition {
        Objects.requireNonNull(message, "message");
        if (message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE - 3) + "...";
        }
    }

    /**
     * Rejected with {@code errors}, each as {@code field.path: message}. The {@code line:col} of an error is left
     * out: it points into the YAML the source generated, which the user never sees.
     */
    static AcceptedCondition rejected(List<ConfigError> errors, Long generation) {
        String message = errors.stream()
                .map(e -> e.path() == null || e.path().isEmpty() ? e.message() : e.path() + ": " + e.message())
                .collect(Collectors.joining("; "));
        return new AcceptedCondition(false, message.isEmpty() ? "rejected by the control plane" : message,
                generation);
    }

    static AcceptedCondition accepted(Long generation) {
        return new AcceptedCondition(true, "valid and in use by the control plane", generation);
    }

    String status() {
        return accepted ? "True" : "False";
    }

    String reason() {
        return accepted ? "Accepted" : "Invalid";
    }

    /** The {@code status} of the object's Accepted condition ({@code True}, {@code False}...), null when none. */
    static String currentStatus(GenericKubernetesResource object) {
        Map<String, Object> condition = find(conditions(object.getAdditionalProperties().get("status")));
        return condition == null ? null : String.valueOf(condition.get("status"));
    }

    /** True when the object's status already says exactly this, so writing it again would change nothing. */
    boolean shownBy(GenericKubernetesResource object) {
        Map<String, Object> current = find(conditions(object.getAdditionalProperties().get("status")));
        return current != null
                && status().equals(current.get("status"))
                && reason().equals(current.get("reason"))
                && message.equals(current.get("message"))
                && Objects.equals(observedGeneration, asLong(current.get("observedGeneration")));
    }

    /**
     * {@code status} (the object's, may be null) with this condition in place of its Accepted condition, other
     * conditions and fields kept. The transition time moves only when the condition's status changes.
     */
    Map<String, Object> applyTo(Object status, Instant now) {
        Map<String, Object> result = status instanceof Map<?, ?> m ? PlainValues.copyMap(m) : new LinkedHashMap<>();
        List<Object> conditions = new ArrayList<>();
        Map<String, Object> previous = null;
        for (Object c : conditions(result)) {
            if (isAccepted(c)) {
                previous = PlainValues.copyMap((Map<?, ?>) c);
            } else {
                conditions.add(c);
            }
        }
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("type", TYPE);
        condition.put("status", status());
        condition.put("reason", reason());
        condition.put("message", message);
        if (observedGeneration != null) {
            condition.put("observedGeneration", observedGeneration);
        }
        boolean sameStatus = previous != null && status().equals(previous.get("status"))
                && previous.get("lastTransitionTime") != null;
        condition.put("lastTransitionTime", sameStatus ? previous.get("lastTransitionTime")
                : now.truncatedTo(ChronoUnit.SECONDS).toString());
        conditions.add(condition);
        result.put("conditions", conditions);
        return result;
    }

    private static List<?> conditions(Object status) {
        if (status instanceof Map<?, ?> m && m.get("conditions") instanceof List<?> list) {
            return list;
        }
        return List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> find(List<?> conditions) {
        for (Object c : conditions) {
            if (isAccepted(c)) {
                return (Map<String, Object>) c;
            }
        }
        return null;
    }

    private static boolean isAccepted(Object condition) {
        return condition instanceof Map<?, ?> m && TYPE.equals(m.get("type"));
    }

    private static Long asLong(Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }
}
