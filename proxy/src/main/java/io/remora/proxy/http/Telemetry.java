package io.remora.proxy.http;

import io.remora.proxy.ProxyContext;
import io.remora.proxy.log.StreamInfo;
import io.remora.proxy.metrics.Reporter;
import io.remora.proxy.metrics.RequestMeters;

/**
 * Where a finished request's {@link StreamInfo} goes: the Istio request metrics (as the source sidecar outbound, the
 * destination inbound), its span (tracing) and the access log. Read once, at the end, so all tell the same story.
 */
final class Telemetry {
    private Telemetry() {
    }

    static void record(ProxyContext pc, StreamInfo info) {
        Reporter reporter = info.outbound() ? Reporter.SOURCE : Reporter.DESTINATION;
        RequestMeters meters = pc.metrics().request(reporter, info.destinationService(),
                info.grpc() ? "grpc" : "http", info.status(), info.grpcStatus(), info.flagsText(),
                info.peerPrincipal(), info.peerLabels());
        meters.record(info.durationNanos(), info.bytesReceived(), info.bytesSent());
        if (info.requestMessages() >= 0) {
            meters.recordMessages(info.requestMessages(), info.responseMessages());
        }
        info.span().end(info.status(), info.flagsText(), info.startNanos() + info.durationNanos());
        if (pc.accessLog().enabled()) {
            pc.accessLog().log(info);
        }
        pc.tap().offer(info);
    }
}
