package io.remora.launcher;

import io.remora.config.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code remora tap}: prints a running sidecar's requests as they complete, one JSON line each, from its admin
 * port's {@code /debug/tap} (loopback only), until interrupted or {@code --count} lines were printed.
 */
@Command(name = "tap", description = "Print a sidecar's requests live as they complete, one JSON line each.")
public final class TapCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--admin", defaultValue = "127.0.0.1:15000",
            description = "The sidecar's admin address, on this host (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--path", description = "Only requests whose path starts with this, e.g. /api.")
    String path;

    @Option(names = "--authority", description = "Only requests to this Host.")
    String authority;

    @Option(names = "--status", description = "Only responses of this class: 2xx, 4xx, 5xx...")
    String status;

    @Option(names = "--count", defaultValue = "0", description = "Stop after this many lines (0: until interrupted).")
    long count;

    @Override
    public Integer call() throws InterruptedException {
        HostPort hp = SidecarAdmin.address(spec.commandLine(), admin);
        StringBuilder q = new StringBuilder();
        add(q, "path", path);
        add(q, "authority", authority);
        add(q, "status", status);
        URI uri = URI.create("http://" + hp + "/debug/tap" + (q.length() == 0 ? "" : "?" + q.substring(1)));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<Stream<String>> res;
        try {
            res = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            return SidecarAdmin.unreachable(spec.commandLine(), hp, e);
        }
        if (res.statusCode() == 400) {
            String why = String.join(" ", res.body().toList()).strip();
            throw new CommandLine.ParameterException(spec.commandLine(), why);
        }
        if (res.statusCode() != 200) {
            return Remora.fail(spec.commandLine(), "the admin at " + hp + " answered " + res.statusCode() + ": "
                    + String.join(" ", res.body().toList()).strip());
        }
        PrintWriter out = spec.commandLine().getOut();
        long printed = 0;
        try (Stream<String> lines = res.body()) {
            Iterator<String> it = lines.iterator();
            while ((count == 0 || printed < count) && it.hasNext()) {
                out.println(it.next());
                out.flush();
                printed++;
            }
        } catch (RuntimeException e) {
            return Remora.fail(spec.commandLine(), "the tap at " + hp + " ended: " + e.getMessage());
        }
        return 0;
    }

    private static void add(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }
}
