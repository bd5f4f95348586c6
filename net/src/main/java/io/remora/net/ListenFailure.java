package io.remora.net;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A listening socket that could not be opened, told so that whoever started the process can act on it: which
 * listener (its role), the address, and why in a few words, e.g.
 * {@code cannot listen on 127.0.0.1:9001 (outbound upstream payments.shop): address already in use}.
 *
 * <p>The cause is kept for logs; the message alone is what a person reads. Netty's native transport reports a bind
 * error as {@code Errors.NativeIoException} ({@code bind(..) failed with error(-98): Address already in use}), the
 * JDK as {@link java.net.BindException}; both carry the operating system's text for the errno, which is what
 * {@link Reason} is read from, so this module needs no Netty.
 */
public final class ListenFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** Netty's prefix before the operating system's text: {@code bind(..) failed with error(-22): }. */
    private static final Pattern NATIVE_PREFIX = Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");
    /** How deep into the cause chain a reason is looked for (gRPC wraps Netty's exception once). */
    private static final int MAX_CAUSES = 8;

    /** Why the socket could not be bound. */
    public enum Reason {
        /** EADDRINUSE: another socket listens on the port. */
        ADDRESS_IN_USE("address already in use"),
        /** EACCES: a port below 1024 without the privilege to bind it. */
        PERMISSION_DENIED("permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"),
        /** EADDRNOTAVAIL: the IP address is not one of this machine's. */
        ADDRESS_NOT_AVAILABLE("address not available (not an address of this machine)"),
        /** The host name does not resolve. */
        UNKNOWN_HOST("unknown host"),
        /** Anything else: the operating system's own words are shown. */
        OTHER(null);

        private final String text;

        Reason(String text) {
            this.text = text;
        }
    }

    private final String role;
    private final String address;
    private final int port;
    private final Reason reason;
    private final String reasonText;

    private ListenFailure(String role, String address, int port, Reason reason, String reasonText, Throwable cause) {
        super("cannot listen on " + address + " (" + role + "): " + reasonText, cause);
        this.role = role;
        this.address = address;
        this.port = port;
        this.reason = reason;
        this.reasonText = reasonText;
    }

    /**
     * @param role  what the listener is for, as the user knows it: {@code inbound}, {@code admin},
     *              {@code outbound upstream payments.shop}...
     * @param host  the host or IP the listener was to bind
     * @param port  its port
     * @param cause what the bind threw (or the future's cause)
     */
    public static ListenFailure of(String role, String host, int port, Throwable cause) {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(cause, "cause");
        String address = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        Throwable found = cause;
        Reason reason = Reason.OTHER;
        int depth = 0;
        for (Throwable t = cause; t != null && depth < MAX_CAUSES; t = t.getCause(), depth++) {
            Reason r = reasonOf(t);
            if (r != Reason.OTHER) {
                reason = r;
                break;
            }
            // Without a known reason the innermost text is the most specific one.
            found = t;
        }
        String text = reason != Reason.OTHER ? reason.text : describe(found);
        return new ListenFailure(role, address, port, reason, text, cause);
    }

    /** As {@link #of(String, String, int, Throwable)} for a socket address. */
    public static ListenFailure of(String role, InetSocketAddress address, Throwable cause) {
        return of(role, address.getHostString(), address.getPort(), cause);
    }

    private static Reason reasonOf(Throwable t) {
        if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
            return Reason.UNKNOWN_HOST;
        }
        String message = t.getMessage();
        if (message == null) {
            return Reason.OTHER;
        }
        String m = message.toLowerCase(Locale.ROOT);
        if (m.contains("address already in use")) {
            return Reason.ADDRESS_IN_USE;
        }
        if (m.contains("permission denied")) {
            return Reason.PERMISSION_DENIED;
        }
        // Linux "Cannot assign requested address", BSD and macOS "Can't assign requested address".
        if (m.contains("assign requested address")) {
            return Reason.ADDRESS_NOT_AVAILABLE;
        }
        return Reason.OTHER;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        String m = NATIVE_PREFIX.matcher(message.strip()).replaceFirst("");
        return m.isEmpty() ? t.getClass().getSimpleName()
                : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    /** The listener's role, e.g. {@code outbound upstream payments.shop}. */
    public String role() {
        return role;
    }

    /** {@code host:port} it was to bind ({@code [::1]:80} for IPv6). */
    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    public Reason reason() {
        return reason;
    }

    /** The reason as shown in the message. */
    public String reasonText() {
        return reasonText;
    }
}
