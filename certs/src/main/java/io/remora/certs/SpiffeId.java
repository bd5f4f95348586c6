package io.remora.certs;

import java.util.List;
import java.util.Objects;

/**
 * A SPIFFE ID ({@code spiffe://<trust-domain>/<path>}), checked against the SPIFFE ID specification: a trust
 * domain of lower-case letters, digits, {@code .}, {@code -} and {@code _}; path segments of letters, digits,
 * {@code .}, {@code -} and {@code _}, none empty, {@code .} or {@code ..}; no query, fragment, port or user info.
 * Workloads are named as Istio does: {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}.
 */
public record SpiffeId(String trustDomain, String path) {
    private static final String SCHEME = "spiffe://";
    private static final int MAX_LENGTH = 2048;

    public SpiffeId {
        Objects.requireNonNull(trustDomain, "trustDomain");
        Objects.requireNonNull(path, "path");
        String problem = trustDomainProblem(trustDomain);
        if (problem == null) {
            problem = pathProblem(path);
        }
        if (problem != null) {
            throw new IllegalArgumentException("invalid SPIFFE ID " + SCHEME + trustDomain + path + ": " + problem);
        }
    }

    /** Parses {@code spiffe://trust-domain/path}. */
    public static SpiffeId parse(String text) {
        if (text == null || !text.startsWith(SCHEME)) {
            throw new IllegalArgumentException("invalid SPIFFE ID " + text + ": expected spiffe://<trust-domain>/<path>");
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("invalid SPIFFE ID: longer than " + MAX_LENGTH + " bytes");
        }
        String rest = text.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? new SpiffeId(rest, "") : new SpiffeId(rest.substring(0, slash), rest.substring(slash));
    }

    /** {@code spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>}. */
    public static SpiffeId workload(String trustDomain, String namespace, String serviceAccount) {
        return new SpiffeId(trustDomain, "/ns/" + namespace + "/sa/" + serviceAccount);
    }

    /** The namespace of a workload ID ({@code /ns/<namespace>/sa/<sa>}), or null for other paths. */
    public String namespace() {
        List<String> s = segments();
        return s.size() == 4 && s.get(0).equals("ns") && s.get(2).equals("sa") ? s.get(1) : null;
    }

    /** The service account of a workload ID, or null for other paths. */
    public String serviceAccount() {
        List<String> s = segments();
        return s.size() == 4 && s.get(0).equals("ns") && s.get(2).equals("sa") ? s.get(3) : null;
    }

    private List<String> segments() {
        return path.isEmpty() ? List.of() : List.of(path.substring(1).split("/", -1));
    }

    /** The SPIFFE ID of the trust domain itself ({@code spiffe://cluster.local}), as a CA's URI SAN. */
    public static SpiffeId trustDomainId(String trustDomain) {
        return new SpiffeId(trustDomain, "");
    }

    private static String trustDomainProblem(String td) {
        if (td.isEmpty()) {
            return "the trust domain is empty";
        }
        for (int i = 0; i < td.length(); i++) {
            char c = td.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')) {
                return "the trust domain may hold only lower-case letters, digits, '.', '-' and '_', got '" + c + "'";
            }
        }
        return null;
    }

    private static String pathProblem(String path) {
        if (path.isEmpty()) {
            return null;
        }
        if (path.charAt(0) != '/') {
            return "the path must start with /";
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty()) {
                return "empty path segment";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "path segments '.' and '..' are not allowed";
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
                        || c == '_')) {
                    return "path segments may hold only letters, digits, '.', '-' and '_', got '" + c + "'";
                }
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return SCHEME + trustDomain + path;
    }
}
