package io.remora.proxy.listener;

/** What the first bytes of a connection say it speaks. */
public enum Detected {
    HTTP1,
    /** HTTP/2 with prior knowledge (the client preface). */
    H2C,
    /** A TLS ClientHello: relayed as opaque bytes (the app does its own TLS). */
    TLS,
    /** Anything else, or a client that stays silent (server-first protocols). */
    OPAQUE
}
