package io.remora.launcher;

import io.remora.config.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code remora explain}: asks a running sidecar's admin port ({@code /debug/explain}) what it would do with a
 * request, without sending it, and prints the answer: listener, destination, each rule and why it did or did not
 * match, the backend split, the policies and their state now, the endpoints, and inbound the authorization verdict.
 */
@Command(name = "explain", description = "Show which route, policy and identity a sidecar would apply to a request, "
        + "and why, without sending it.")
public final class ExplainCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--admin", defaultValue = "127.0.0.1:15000",
            description = "The sidecar's admin address (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--path", required = true, description = "The request's path, e.g. /api/items?x=1.")
    String path;

    @Option(names = "--method", defaultValue = "GET", description = "The request's method (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--authority", description = "The Host the app would call (needed for captured traffic).")
    String authority;

    @Option(names = {"-H", "--header"}, description = "A request header, \"name: value\"; repeatable.")
    List<String> headers = new ArrayList<>();

    @Option(names = "--listener", description = "Which listener receives it (default: the first outbound one; "
            + "inbound for a call from another sidecar).")
    String listener;

    @Option(names = "--peer", description = "Inbound: the caller's SPIFFE ID, for the authorization verdict.")
    String peer;

    @Option(names = "--dst", description = "The original destination ip:port (captured or inbound traffic).")
    String dst;

    @Override
    public Integer call() throws InterruptedException {
        HostPort hp = SidecarAdmin.address(spec.commandLine(), admin);
        StringBuilder q = new StringBuilder("path=").append(enc(path)).append("&method=").append(enc(method));
        add(q, "authority", authority);
        add(q, "listener", listener);
        add(q, "peer", peer);
        add(q, "dst", dst);
        for (String h : headers) {
            add(q, "header", h);
        }
        URI uri = URI.create("http://" + hp + "/debug/explain?" + q);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpResponse<String> res;
        try {
            res = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return SidecarAdmin.unreachable(spec.commandLine(), hp, e);
        }
        if (res.statusCode() == 400) {
            throw new CommandLine.ParameterException(spec.commandLine(), res.body().strip());
        }
        if (res.statusCode() != 200) {
            return Remora.fail(spec.commandLine(), "the admin at " + hp + " answered " + res.statusCode() + ": "
                    + res.body().strip());
        }
        spec.commandLine().getOut().print(res.body());
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static void add(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append('&').append(name).append('=').append(enc(value));
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
