package io.remora.certs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;

/** ECDSA P-256 keys: small, fast to sign and verify, and what every TLS stack accepts. */
public final class KeyPairs {
    private KeyPairs() {
    }

    public static KeyPair ecP256() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no EC P-256", e);
        }
    }

    /** Whether {@code key} is the private half of {@code publicKey}: signs a challenge and verifies it. */
    public static boolean matches(PublicKey publicKey, PrivateKey key) {
        String algorithm = publicKey instanceof ECPublicKey ? "SHA256withECDSA" : "SHA256withRSA";
        try {
            byte[] challenge = "remora-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
