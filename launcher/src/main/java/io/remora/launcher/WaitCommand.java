package io.remora.launcher;

import io.remora.config.Durations;
import io.remora.config.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code remora wait --ready}: returns once the sidecar beside it is ready. In a pod without native sidecars it is
 * the app container's {@code postStart} hook in the injector's classic mode: Kubernetes starts containers in order
 * and does not start the next one until the hook returns, so the app starts after its proxy can carry its traffic.
 */
@Command(name = "wait", description = "Wait until the sidecar beside this process is ready (a postStart hook).")
public final class WaitCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--ready", required = true, description = "Wait for GET /healthz/ready to answer 200.")
    boolean ready;

    @Option(names = "--health", defaultValue = "127.0.0.1:15021",
            description = "The sidecar's health address (default: ${DEFAULT-VALUE}).")
    String health;

    @Option(names = "--timeout", defaultValue = "120s",
            description = "How long to wait before giving up, exit 1 (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() throws InterruptedException {
        HostPort hp;
        Duration limit;
        try {
            hp = HostPort.parse(health);
            limit = Durations.parse(timeout);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        URI uri = URI.create("http://" + hp + "/healthz/ready");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + limit.toNanos();
        String last = "no answer";
        while (true) {
            try {
                int status = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return 0;
                }
                last = "status " + status;
            } catch (IOException e) {
                last = e.getClass().getSimpleName();
            }
            if (System.nanoTime() - deadline > 0) {
                return Remora.fail(spec.commandLine(), "the sidecar at " + uri + " was not ready after " + timeout
                        + " (" + last + "); see its log (kubectl logs -c remora-proxy)");
            }
            Thread.sleep(200);
        }
    }
}
