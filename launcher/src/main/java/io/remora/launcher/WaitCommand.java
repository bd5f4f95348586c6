package io.remora.launcher;

import io.remora.config.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code remora wait --ready}: returns once the local proxy reports ready. A classic (non-native) injected sidecar
 * runs it as its {@code postStart} hook: Kubernetes starts the app container only after the hook returns, so the app
 * never sends a request before its proxy can carry it.
 */
@Command(name = "wait", description = "Wait until the local proxy is ready (for a sidecar's postStart hook).")
final class WaitCommand implements Callable<Integer> {
    @Option(names = "--ready", required = true, description = "Wait for readiness.")
    boolean ready;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:15021/healthz/ready", description = "The readiness"
            + " endpoint (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--timeout", defaultValue = "5m", description = "Give up after this long, exit 1 (default:"
            + " ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--period", defaultValue = "200ms", description = "Time between attempts (default:"
            + " ${DEFAULT-VALUE}).")
    String period;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        Duration limit;
        Duration every;
        URI uri;
        try {
            limit = Durations.parse(timeout);
            every = Durations.parse(period);
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("remora wait: " + e.getMessage());
            return 2;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (true) {
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return 0;
                }
                last = "HTTP " + r.statusCode();
            } catch (IOException e) {
                last = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            }
            if (System.nanoTime() - deadline > 0) {
                spec.commandLine().getErr().println("remora wait: " + url + " not ready after " + timeout
                        + " (last: " + last + "); is the proxy running?");
                return 1;
            }
            Thread.sleep(every.toMillis());
        }
    }
}
