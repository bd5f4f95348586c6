package io.remora.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The injector's output, case by case: {@code golden/<case>.in.yaml} through {@code remora inject}'s transformation
 * must give {@code golden/<case>.out.yaml}, and {@code --uninject} must give the input back. A stale golden fails
 * with the diff and the command that rewrites the files from the code:
 * {@code mvn -B -o -pl k8s-injector -am test -Dtest=GoldenFilesTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dgolden.update=true} (then review the diff in git).
 */
class GoldenFilesTest {
    static final String REFRESH = "mvn -B -o -pl k8s-injector -am test -Dtest=GoldenFilesTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dgolden.update=true";
    static final Injector INJECTOR = new Injector(MeshSettings.defaults("0.1.0-test"));

    static Path dir() {
        String d = System.getProperty("golden.dir");
        return Path.of(d != null ? d : "src/test/resources/golden");
    }

    static List<Path> inputs() throws IOException {
        try (Stream<Path> s = Files.list(dir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".in.yaml")).sorted().toList();
        }
    }

    static String inject(String name, String text) throws ManifestException {
        return Manifests.transform(name, text, Manifests.injecting(INJECTOR, note -> { }));
    }

    @TestFactory
    List<DynamicTest> everyCaseMatchesItsGoldenFile() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        boolean update = Boolean.getBoolean("golden.update");
        for (Path in : inputs()) {
            String name = in.getFileName().toString().replace(".in.yaml", "");
            Path out = in.resolveSibling(name + ".out.yaml");
            tests.add(DynamicTest.dynamicTest(name, () -> {
                String actual = inject(in.getFileName().toString(), Files.readString(in));
                if (update) {
                    Files.writeString(out, actual, StandardCharsets.UTF_8);
                    return;
                }
                String expected = Files.exists(out) ? Files.readString(out) : "";
                if (!expected.equals(actual)) {
                    fail("golden file " + out.getFileName() + " is stale:\n" + Diff.unified(expected, actual)
                            + "\nrefresh with: " + REFRESH);
                }
            }));
            if (name.equals("already-injected")) {
                continue; // its input is an injected pod: uninjecting it is another case
            }
            tests.add(DynamicTest.dynamicTest(name + " uninjects to its input", () -> {
                String injected = inject(in.getFileName().toString(), Files.readString(in));
                String back = Manifests.transform(name, injected, Manifests.uninjecting());
                assertThat(Yaml.trees(back)).isEqualTo(Yaml.trees(Files.readString(in)));
            }));
        }
        return tests;
    }

    @Test
    void thereAreGoldenFilesForEveryCase() throws IOException {
        List<String> names = inputs().stream().map(p -> p.getFileName().toString()).toList();
        assertThat(names).contains("plain-pod.in.yaml", "init-containers.in.yaml", "probes.in.yaml",
                "opt-out.in.yaml", "host-network.in.yaml", "already-injected.in.yaml", "classic.in.yaml",
                "job.in.yaml", "cronjob.in.yaml", "statefulset.in.yaml", "overrides.in.yaml");
    }
}
