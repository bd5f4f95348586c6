package io.remora.launcher;

import io.remora.proxy.ProxyServer;

/**
 * SIGTERM and SIGINT start a drain. Handled as signals rather than in a shutdown hook: a JVM that shuts
 * down on a signal exits with 128 + signal whatever main returns, and a drain that ends cleanly should
 * exit 0 (Kubernetes and process supervisors read that).
 */
final class Signals {
    private Signals() {
    }

    @SuppressWarnings("removal")
    static void drainOnTermination(ProxyServer server) {
        sun.misc.SignalHandler drain = signal -> server.drain();
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), drain);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), drain);
    }

    /** Runs {@code stop} on SIGTERM or SIGINT (a process without a drain: the control plane). */
    @SuppressWarnings("removal")
    static void onTermination(Runnable stop) {
        sun.misc.SignalHandler handler = signal -> stop.run();
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
    }
}
