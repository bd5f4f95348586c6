package io.remora.certs;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * PEM in and out: certificates (a chain, leaf first, or a bundle of roots), PKCS#8 private keys ({@code BEGIN
 * PRIVATE KEY}; SEC1 {@code BEGIN EC PRIVATE KEY} is read too) and PKCS#10 CSRs. Errors name the source (a file
 * name) and what was found instead of what was expected.
 */
public final class Pem {
    private Pem() {
    }

    /** Every certificate in {@code text}, in order; at least one. */
    public static List<X509Certificate> certificates(String source, String text) {
        List<X509Certificate> certs = new ArrayList<>();
        for (Object o : objects(source, text)) {
            if (o instanceof X509CertificateHolder holder) {
                try {
                    certs.add(new JcaX509CertificateConverter().getCertificate(holder));
                } catch (java.security.cert.CertificateException e) {
                    throw new CertificateException(source + ": unreadable certificate: " + e.getMessage(), e);
                }
            }
        }
        if (certs.isEmpty()) {
            throw new CertificateException(source + ": no CERTIFICATE block, expected PEM certificates");
        }
        return certs;
    }

    /** The one private key in {@code text}. */
    public static PrivateKey privateKey(String source, String text) {
        List<PrivateKey> keys = new ArrayList<>();
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object o : objects(source, text)) {
            try {
                if (o instanceof PrivateKeyInfo info) {
                    keys.add(converter.getPrivateKey(info));
                } else if (o instanceof PEMKeyPair pair) {
                    keys.add(converter.getKeyPair(pair).getPrivate());
                }
            } catch (IOException e) {
                throw new CertificateException(source + ": unreadable private key: " + e.getMessage(), e);
            }
        }
        if (keys.size() != 1) {
            throw new CertificateException(source + ": " + keys.size()
                    + " private keys, expected exactly one PRIVATE KEY block");
        }
        return keys.get(0);
    }

    /** The one PKCS#10 request in {@code text}. */
    public static PKCS10CertificationRequest csr(String source, String text) {
        for (Object o : objects(source, text)) {
            if (o instanceof PKCS10CertificationRequest csr) {
                return csr;
            }
        }
        throw new CertificateException(source + ": no CERTIFICATE REQUEST block, expected a PEM PKCS#10 request");
    }

    public static List<X509Certificate> readCertificates(Path file) {
        return certificates(file.toString(), read(file));
    }

    public static PrivateKey readPrivateKey(Path file) {
        return privateKey(file.toString(), read(file));
    }

    public static String encode(List<X509Certificate> certs) {
        return write(certs.toArray());
    }

    public static String encode(PrivateKey key) {
        try {
            return write(new JcaPKCS8Generator(key, null).generate());
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new CertificateException("cannot encode private key: " + e.getMessage(), e);
        }
    }

    public static String encode(PKCS10CertificationRequest csr) {
        return write(csr);
    }

    /** Writes certificates (world-readable). */
    public static void writeCertificates(Path file, List<X509Certificate> certs) throws IOException {
        Files.writeString(file, encode(certs), StandardCharsets.US_ASCII);
    }

    /** Writes a private key readable by its owner only. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.writeString(file, encode(key), StandardCharsets.US_ASCII);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new CertificateException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static List<Object> objects(String source, String text) {
        List<Object> out = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                out.add(o);
            }
        } catch (IOException | RuntimeException e) {
            throw new CertificateException(source + ": corrupt PEM: " + e.getMessage(), e);
        }
        return out;
    }

    private static String write(Object... objects) {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            for (Object o : objects) {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new CertificateException("cannot encode PEM: " + e.getMessage(), e);
        }
        return sw.toString();
    }
}
