package io.remora.injector;

/** A manifest that cannot be read; the message is {@code file:line:col: what}, one line. */
public final class ManifestException extends Exception {
    public ManifestException(String message) {
        super(message, null, false, false);
    }
}
