package io.remora.proxy.tls;

/**
 * Where the workload's mTLS material comes from: files today (re-read when they change), a control plane's
 * CSR-signing service later. The proxy only ever asks for the current generation, per new connection.
 */
public interface IdentitySource extends AutoCloseable {
    /** The generation new connections use. */
    MeshTls current();

    @Override
    void close();
}
