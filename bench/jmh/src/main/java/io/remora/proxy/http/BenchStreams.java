package io.remora.proxy.http;

import io.remora.bench.jmh.BenchMesh;

/**
 * The caller's side of the benchmarks' requests: the exchanges of an app's plaintext HTTP/1.1 connection through the
 * capture listener, as the router and the head edits see it. Not on a channel: nothing measured here writes, reads or
 * sets a timer, so there is no stream under it.
 */
final class BenchStreams {
    private BenchStreams() {
    }

    static StreamExchanges outbound(BenchMesh mesh) {
        return new StreamExchanges(mesh.context(), mesh.capture(), mesh.appConnection(), false, null);
    }
}
