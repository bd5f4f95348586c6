package io.remora.proxy;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Background work off the event loops (file watching, certificate renewal): one daemon thread each. */
public final class Daemons {
    private Daemons() {
    }

    /** A single-thread scheduler whose thread is a daemon named {@code threadName}. */
    public static ScheduledExecutorService scheduler(String threadName) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }
}
