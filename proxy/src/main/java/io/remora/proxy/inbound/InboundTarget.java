package io.remora.proxy.inbound;

import io.remora.config.Protocol;

import java.net.InetSocketAddress;

/**
 * Where one inbound connection or request goes.
 *
 * @param address  the app's socket
 * @param source   the local address to connect from ({@code 127.0.0.6} when the app listens on the pod IP only, so
 *                 the interception rules let the connection through instead of capturing it again); null for any
 * @param protocol what the port speaks: declared in the Sidecar, or null when it is not declared (sniffed)
 * @param cluster  {@code inbound|<port>}, for metrics and logs
 */
public record InboundTarget(InetSocketAddress address, InetSocketAddress source, Protocol protocol, String cluster) {
}
