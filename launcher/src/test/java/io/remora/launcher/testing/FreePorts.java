package io.remora.launcher.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Loopback ports for tests that must name a port before the listener binds it (a config file, a command line).
 * They come from below the kernel's ephemeral range (32768 and up on Linux): a port the kernel handed out with
 * {@code bind(0)} is also one it may give the next outgoing connection, which then holds it by the time the
 * listener binds (seen on a busy machine as "address already in use"). Each port is handed out once per JVM; the
 * starting point is drawn per JVM so that two test JVMs side by side do not walk the same ports.
 */
public final class FreePorts {
    private static final int LOW = 20_000;
    private static final int HIGH = 32_000;
    private static final AtomicInteger NEXT = new AtomicInteger(ThreadLocalRandom.current().nextInt(LOW, HIGH));

    private FreePorts() {
    }

    /** A port nothing listens on now, outside the ephemeral range, never returned before in this JVM. */
    public static int next() throws IOException {
        for (int tries = 0; tries < HIGH - LOW; tries++) {
            int port = LOW + Math.floorMod(NEXT.getAndIncrement() - LOW, HIGH - LOW);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                s.setReuseAddress(true);
                return port;
            } catch (IOException taken) {
                // In use: the next one.
            }
        }
        throw new IOException("no free loopback port between " + LOW + " and " + HIGH);
    }
}
