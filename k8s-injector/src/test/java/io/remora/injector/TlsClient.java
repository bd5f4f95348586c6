package io.remora.injector;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * An HTTP/1.1 client over TLS that checks the server as the API server does: the chain against a CA bundle and the
 * certificate's DNS names against the Service name, while connecting to a loopback address.
 */
public final class TlsClient {
    public record Response(int status, byte[] body, X509Certificate peer) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private TlsClient() {
    }

    public static Response post(InetSocketAddress address, String serverName, List<X509Certificate> roots, String path,
                         byte[] body) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        for (int i = 0; i < roots.size(); i++) {
            trust.setCertificateEntry("root" + i, roots.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(address.getAddress(),
                address.getPort())) {
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            params.setServerNames(List.of(new SNIHostName(serverName)));
            socket.setSSLParameters(params);
            // The hostname check uses the session's peer host: the SNI name stands in for it.
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: " + serverName + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int headerEnd = text.indexOf("\r\n\r\n");
            int status = Integer.parseInt(text.substring(9, 12));
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(all, headerEnd + 4, all.length - headerEnd - 4);
            return new Response(status, b.toByteArray(),
                    (X509Certificate) socket.getSession().getPeerCertificates()[0]);
        }
    }
}
