package io.remora.launcher;

import io.remora.injector.Injector;
import io.remora.injector.ManifestException;
import io.remora.injector.Manifests;
import io.remora.injector.MeshSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code remora inject -f deploy.yaml | kubectl apply -f -}: the sidecar added to the pods of Kubernetes manifests
 * offline, exactly as the webhook would add it (the same {@link Injector}), like {@code istioctl kube-inject}.
 */
@Command(name = "inject", description = "Add the sidecar to the pods in Kubernetes manifests (Pods, Deployments,"
        + " StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Lists) and print them; other documents pass"
        + " through unchanged.")
final class InjectCommand implements Callable<Integer> {
    @Option(names = {"-f", "--filename"}, required = true, paramLabel = "FILE", description = "The manifests"
            + " (multi-document YAML), or - for standard input.")
    String file;

    @Option(names = "--uninject", description = "Take the sidecar out again instead.")
    boolean uninject;

    @Mixin
    MeshOptions mesh;

    @Spec
    CommandSpec spec;

    private final InputStream stdin;

    InjectCommand() {
        this(System.in);
    }

    InjectCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        MeshSettings settings = mesh.settings(err, "inject");
        if (settings == null) {
            return 2;
        }
        String name = file.equals("-") ? "<stdin>" : file;
        String text;
        try {
            byte[] bytes = file.equals("-") ? stdin.readAllBytes() : Files.readAllBytes(Path.of(file));
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            err.println("remora inject: " + name + ": no such file; give -f an existing file or - for stdin");
            return 1;
        } catch (CharacterCodingException e) {
            err.println("remora inject: " + name + ": not UTF-8 text; give a YAML manifest");
            return 1;
        } catch (IOException e) {
            err.println("remora inject: " + name + ": cannot read: " + e.getMessage());
            return 1;
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try {
            String result = Manifests.transform(name, text, uninject ? Manifests.uninjecting()
                    : Manifests.injecting(new Injector(settings), note -> err.println("remora inject: " + note)));
            out.print(result);
            out.flush();
            return 0;
        } catch (ManifestException e) {
            err.println(e.getMessage());
            return 1;
        }
    }
}
