package io.remora.proxy.listener;

import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.remora.config.Sidecar;
import io.remora.proxy.tls.MeshTls;

import java.io.File;

/**
 * The server TLS context of a listener: built once, when the listener is set up, with the settings every TLS
 * context of the proxy shares ({@link MeshTls#common}): BoringSSL through netty-tcnative where it loads, the JDK's
 * TLS otherwise; TLS 1.3 preferred, 1.2 the minimum; ALPN offers {@code h2} then {@code http/1.1}.
 */
final class ServerTls {
    private ServerTls() {
    }

    /** Loads the certificate and key; a file that cannot be used is an error naming it. */
    static SslContext context(Sidecar.Tls tls) {
        try {
            return MeshTls.common(SslContextBuilder.forServer(new File(tls.certificate()), new File(tls.privateKey())),
                    MeshTls.provider(), ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1).build();
        } catch (Exception | Error e) {
            throw new IllegalArgumentException("inbound.tls: cannot use certificate " + tls.certificate()
                    + " with private key " + tls.privateKey() + ": " + e.getMessage(), e);
        }
    }
}
