package io.remora.injector;

import io.fabric8.zjsonpatch.DiffFlags;
import io.fabric8.zjsonpatch.JsonDiff;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AdmissionReview v1 in and out. Every request body, even one that is not JSON or names no pod, gets a valid
 * response that allows the object (the webhook never blocks a pod it cannot read; {@code failurePolicy: Fail} is
 * for when it cannot answer at all) with the reason in {@code status.message}. An injected pod's patch is the
 * JSON Patch (RFC 6902) diff of the request's object and {@link Injector}'s result, in add/remove/replace
 * operations only (no move or copy: each operation reads on its own in the API server's audit log).
 */
public final class AdmissionReviews {
    public static final String API_VERSION = "admission.k8s.io/v1";
    /** The uid of a body too large to parse, from its beginning (the API server writes it first). */
    private static final Pattern UID = Pattern.compile("\"uid\"\\s*:\\s*\"([^\"\\\\]{1,128})\"");

    private AdmissionReviews() {
    }

    /**
     * The answer to one review.
     *
     * @param body   the AdmissionReview response, JSON
     * @param result {@code injected}, {@code skipped}, {@code unchanged} or {@code invalid}: the metric tag
     * @param reason one line for the log and {@code status.message}
     * @param uid    the request's uid ("" when it had none)
     */
    public record Answer(byte[] body, String result, String reason, String uid) {
    }

    /** Reviews {@code body} with {@code injector}. Never throws for any input. */
    public static Answer review(byte[] body, Injector injector) {
        JsonNode review;
        try {
            review = Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            return invalid("", "the request is not JSON: " + firstLine(e.getOriginalMessage()));
        }
        if (review == null || !review.isObject()) {
            return invalid("", "the request is not a JSON object");
        }
        if (!(review.get("request") instanceof ObjectNode request)) {
            return invalid("", "the AdmissionReview has no request");
        }
        String uid = Json.text(request, "uid");
        String kind = Json.text(request.path("kind"), "kind");
        if (!kind.equals("Pod") || !Json.text(request.path("kind"), "group").isEmpty()) {
            return invalid(uid, "not a Pod: " + (kind.isEmpty() ? "no kind" : kind));
        }
        String operation = Json.text(request, "operation");
        if (!operation.isEmpty() && !operation.equals("CREATE")) {
            return answer(uid, "unchanged", operation + " is not injected (only CREATE)", null, List.of());
        }
        if (!(request.get("object") instanceof ObjectNode pod)) {
            return invalid(uid, "the request has no object");
        }
        try {
            Injection injection = injector.inject(pod, PodContext.optedIn(Json.text(request, "namespace"), null));
            JsonNode patch = injection.outcome() == Injection.Outcome.UNCHANGED ? null
                    : JsonDiff.asJson(pod, injection.pod(), DiffFlags.dontNormalizeOpIntoMoveAndCopy());
            return answer(uid, injection.outcome().tag(), injection.reason(), patch, injection.warnings());
        } catch (RuntimeException e) {
            // A pod shape the injector did not expect: allowed without the sidecar, and said so.
            return answer(uid, "invalid", "cannot inject: " + e, null, List.of());
        }
    }

    /** The answer to a body of more than {@code limit} bytes, from its first bytes only. */
    public static Answer tooLarge(byte[] prefix, long size, long limit) {
        Matcher m = UID.matcher(new String(prefix, 0, Math.min(prefix.length, 4096), StandardCharsets.UTF_8));
        return invalid(m.find() ? m.group(1) : "", "the request has " + size + " bytes, more than the "
                + limit + " the webhook reads");
    }

    /**
     * The answer when the webhook has more reviews queued than it can take: refused (code 503) rather than allowed,
     * so the pod is not created without its sidecar; its controller creates it again.
     */
    public static Answer overloaded(byte[] prefix) {
        Matcher m = UID.matcher(new String(prefix, 0, Math.min(prefix.length, 4096), StandardCharsets.UTF_8));
        String uid = m.find() ? m.group(1) : "";
        String reason = "the injector is overloaded; try again";
        ObjectNode response = Json.object("uid", uid, "allowed", false,
                "status", Json.object("code", 503, "message", reason));
        ObjectNode review = Json.object("apiVersion", API_VERSION, "kind", "AdmissionReview", "response", response);
        return new Answer(Json.MAPPER.writeValueAsBytes(review), "overloaded", reason, uid);
    }

    private static Answer invalid(String uid, String reason) {
        return answer(uid, "invalid", reason, null, List.of());
    }

    private static Answer answer(String uid, String result, String reason, JsonNode patch, List<String> warnings) {
        ObjectNode response = Json.object("uid", uid, "allowed", true);
        if (patch != null && !patch.isEmpty()) {
            response.put("patchType", "JSONPatch");
            response.put("patch", Base64.getEncoder().encodeToString(
                    Json.MAPPER.writeValueAsBytes(patch)));
        }
        response.set("status", Json.object("message", reason));
        if (!warnings.isEmpty()) {
            ArrayNode w = response.putArray("warnings");
            warnings.forEach(w::add);
        }
        ObjectNode review = Json.object("apiVersion", API_VERSION, "kind", "AdmissionReview", "response", response);
        return new Answer(Json.MAPPER.writeValueAsBytes(review), result, reason, uid);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
