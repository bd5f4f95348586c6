package io.remora.config;

import java.util.regex.Pattern;

/** Syntax checks for the names config uses: DNS names, IP literals, Kubernetes object names, HTTP tokens. */
final class HostNames {
    /** Describes {@link #isDnsLabel} in error messages. */
    static final String DNS_LABEL = "a DNS-1123 label (lower-case letters, digits and '-', starting and ending"
            + " with a letter or digit, at most 63 characters)";

    private static final Pattern DNS_LABEL_SYNTAX = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern HEX_GROUP = Pattern.compile("[0-9A-Fa-f]{1,4}");
    private static final String TOKEN_SPECIALS = "!#$%&'*+-.^_`|~";

    private HostNames() {
    }

    /** A Kubernetes object name: {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}, at most 63 characters. */
    static boolean isDnsLabel(String s) {
        return s != null && DNS_LABEL_SYNTAX.matcher(s).matches();
    }

    /** What a Service's {@code hosts} entry may be: a {@link #isHost host}, optionally with {@code :port} 1-65535. */
    static boolean isHostWithOptionalPort(String text) {
        if (isHost(text)) {
            return true;
        }
        try {
            HostPort hostPort = HostPort.parse(text);
            return hostPort.port() > 0 && isHost(hostPort.host());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A DNS host name (letters of either case), an IPv4 literal or an IPv6 literal without brackets. */
    static boolean isHost(String s) {
        return isDnsName(s) || isIpv4(s) || isIpv6(s);
    }

    /** Dot-separated labels of letters, digits and '-', each at most 63 characters, 253 in all. */
    static boolean isDnsName(String s) {
        if (s == null || s.isEmpty() || s.length() > 253) {
            return false;
        }
        for (String label : s.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv4(String s) {
        return s != null && IPV4.matcher(s).matches();
    }

    /** RFC 4291 text form: eight groups, or fewer with one {@code ::}, optionally ending in an IPv4 address. */
    static boolean isIpv6(String s) {
        if (s == null || s.indexOf(':') < 0) {
            return false;
        }
        int elision = s.indexOf("::");
        if (elision >= 0 && s.indexOf("::", elision + 1) >= 0) {
            return false;
        }
        String head = elision >= 0 ? s.substring(0, elision) : s;
        String tail = elision >= 0 ? s.substring(elision + 2) : "";
        int groups = countGroups(head, elision < 0);
        int tailGroups = elision >= 0 ? countGroups(tail, true) : 0;
        if (groups < 0 || tailGroups < 0) {
            return false;
        }
        int total = groups + tailGroups;
        return elision >= 0 ? total <= 7 : total == 8;
    }

    /** Groups in a colon-separated run (an IPv4 suffix counts two), or -1 when malformed. */
    private static int countGroups(String run, boolean mayEndInIpv4) {
        if (run.isEmpty()) {
            return 0;
        }
        String[] parts = run.split(":", -1);
        int count = 0;
        for (int i = 0; i < parts.length; i++) {
            boolean last = i == parts.length - 1;
            if (last && mayEndInIpv4 && isIpv4(parts[i])) {
                count += 2;
            } else if (HEX_GROUP.matcher(parts[i]).matches()) {
                count++;
            } else {
                return -1;
            }
        }
        return count;
    }

    /** An RFC 9110 token: one or more of letters, digits and {@code !#$%&'*+-.^_`|~}. */
    static boolean isToken(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean alphaNum = c < 128 && Character.isLetterOrDigit(c);
            if (!alphaNum && TOKEN_SPECIALS.indexOf(c) < 0) {
                return false;
            }
        }
        return true;
    }
}
