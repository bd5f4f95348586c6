package io.remora.proxy.listener;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.remora.config.Sidecar;

import java.io.File;

/**
 * The server TLS context of a listener: built once, when the listener is set up. BoringSSL through
 * netty-tcnative where it loads, the JDK's TLS otherwise; TLS 1.3 preferred, 1.2 the minimum; ALPN
 * offers {@code h2} then {@code http/1.1}.
 */
final class ServerTls {
    private ServerTls() {
    }

    static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            // The only combination both the OpenSSL and the JDK providers support.
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    /** Loads the certificate and key; a file that cannot be used is an error naming it. */
    static SslContext context(Sidecar.Tls tls) {
        try {
            return SslContextBuilder.forServer(new File(tls.certificate()), new File(tls.privateKey()))
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(ALPN)
                    .build();
        } catch (Exception | Error e) {
            throw new IllegalArgumentException("inbound.tls: cannot use certificate " + tls.certificate()
                    + " with private key " + tls.privateKey() + ": " + e.getMessage(), e);
        }
    }
}
