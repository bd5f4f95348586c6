package io.remora.proxy.listener;

/**
 * How a connection's bytes are taken, as its destination decides: the one answer to "HTTP or TCP" both the
 * opaque shortcut at accept and the choice after protocol detection read.
 */
public enum Framing {
    /**
     * Opaque: relayed as soon as the connection is accepted, without waiting for the client's bytes (a service
     * declared {@code tcp}, or a server-first port, where waiting would hang a protocol in which the server speaks
     * first).
     */
    TCP,
    /** Declared HTTP (the inbound app, a known service): bytes that are not HTTP get a 400, never a blind relay. */
    HTTP,
    /** Undeclared: protocol detection on the first bytes decides. */
    SNIFFED
}
