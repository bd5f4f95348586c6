package io.remora.launcher.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.remora.config.testing.Eventually;
import io.remora.config.testing.TestMesh;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container image {@code package} builds (target/remora-image.tar, README "Container image") starts: its layers,
 * found through the OCI index and manifest, are unpacked into a directory, and commands run inside it with
 * {@code chroot} as the pod would run them (uid 1337 for the proxy, root for {@code remora init}), with only what
 * the image holds: no JDK, library or tool of this machine. A new PID namespace gives the chroot its own /proc
 * (the JVM finds its libraries through it); the network namespace is the host's, so the test reaches the proxy's
 * health port on loopback. Needs root, as the init container does. Runs in {@code integration-test}, after the
 * image is built.
 */
@Tag("image")
@Timeout(180)
class ImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The container's entrypoint, as the image config and the injected pod name it. */
    private static final List<String> ENTRYPOINT = List.of("/opt/remora/jre/bin/java", "@/opt/remora/jvm.options",
            "-cp", "/opt/remora/remora.jar", "io.remora.launcher.Remora");
    /** Where the entrypoint's JVM flags end: flags added for a test go here. */
    private static final int JVM_FLAGS_END = 2;

    @TempDir
    static Path work;
    private static Path rootfs;
    private static JsonNode config;

    private Process proxy;

    private record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void unpack() throws Exception {
        String tarProperty = System.getProperty("remora.image.tar");
        assertThat(tarProperty).as("system property remora.image.tar (set by launcher/pom.xml)").isNotBlank();
        Path tar = Path.of(tarProperty);
        assertThat(tar).as("the image tar; build it with mvn -B -pl launcher -am package -DskipTests").isRegularFile();

        Path oci = Files.createDirectories(work.resolve("oci"));
        ok(List.of("tar", "-xf", tar.toString(), "-C", oci.toString()));
        JsonNode index = JSON.readTree(oci.resolve("index.json").toFile());
        assertThat(index.path("manifests")).hasSize(1);
        JsonNode manifest = JSON.readTree(blob(oci, index.path("manifests").get(0)).toFile());
        config = JSON.readTree(blob(oci, manifest.path("config")).toFile()).path("config");
        rootfs = Files.createDirectories(work.resolve("rootfs"));
        for (JsonNode layer : manifest.path("layers")) {
            assertThat(layer.path("mediaType").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
            ok(List.of("tar", "--warning=no-unknown-keyword", "-xzf", blob(oci, layer).toString(), "-C",
                    rootfs.toString()));
        }
        // The devices every container runtime gives a container (without /dev/urandom the JVM's SecureRandom
        // falls back to seeding from thread timing, and the proxy takes seconds to start).
        for (String[] dev : new String[][] {{"null", "3"}, {"zero", "5"}, {"random", "8"}, {"urandom", "9"}}) {
            ok(List.of("mknod", "-m", "666", rootfs.resolve("dev").resolve(dev[0]).toString(), "c", "1", dev[1]));
        }
    }

    private static Path blob(Path oci, JsonNode descriptor) {
        String[] digest = descriptor.path("digest").asText().split(":", 2);
        return oci.resolve("blobs").resolve(digest[0]).resolve(digest[1]);
    }

    @AfterEach
    void stopProxy() throws Exception {
        if (proxy != null && proxy.isAlive()) {
            proxy.descendants().forEach(ProcessHandle::destroyForcibly);
            proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM to the JVM: {@code unshare --fork} itself ignores it and waits for its child. */
    private static void sigterm(Process p) {
        p.descendants().filter(h -> h.info().command().orElse("").endsWith("/bin/java"))
                .forEach(ProcessHandle::destroy);
    }

    @Test
    void theImageRunsRemoraAsUid1337FromScratchWithNoShell() {
        assertThat(config.path("User").asText()).isEqualTo("1337:1337");
        List<String> entrypoint = new ArrayList<>();
        config.path("Entrypoint").forEach(a -> entrypoint.add(a.asText()));
        assertThat(entrypoint).isEqualTo(ENTRYPOINT);
        assertThat(rootfs.resolve("etc/passwd")).content().contains("remora:x:1337:1337:");
        assertThat(rootfs.resolve("etc/group")).content().contains("remora:x:1337:");
        assertThat(rootfs.resolve("bin")).doesNotExist();
        assertThat(rootfs.resolve("usr/bin")).doesNotExist();
        assertThat(rootfs.resolve("app")).as("Jib's own layers are filtered out: remora.jar holds the classes")
                .doesNotExist();
        assertThat(rootfs.resolve("opt/remora/remora.jar")).isRegularFile();
    }

    @Test
    void theImagesRuntimeIsTheBuildMachinesNewestJdkFrom25OnElse17WithBinRemorasFlagsForIt() throws Exception {
        int feature = ImageRuntime.feature(rootfs.resolve("opt/remora/jre"));
        assertThat(feature).as("the runtime stage-rootfs.sh links from on this machine")
                .isEqualTo(ImageRuntime.expectedFeature());
        List<String> flags = ImageRuntime.flagsIn(rootfs.resolve("opt/remora/jvm.options"));
        if (feature >= 25) {
            assertThat(flags).isEqualTo(ImageRuntime.FLAGS_25);
            assertThat(rootfs.resolve("opt/remora/remora.aot")).isRegularFile();
        } else {
            assertThat(flags).isEqualTo(ImageRuntime.FLAGS);
            assertThat(rootfs.resolve("opt/remora/remora.aot")).doesNotExist();
        }
        Run r = run(chroot("1337", List.of("/opt/remora/jre/bin/java", "-version")));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("version \"" + feature + ".");
    }

    @Test
    void theEntrypointsJvmStartsFromTheImagesAheadOfTimeCache() throws Exception {
        assumeTrue(ImageRuntime.feature(rootfs.resolve("opt/remora/jre")) >= 25, "an image on JDK 17 has no cache");
        // With AOTMode=on the JVM stops when it cannot use the cache, instead of starting without it.
        Run r = run(inImage("1337", List.of("-XX:AOTMode=on", "-Xlog:aot=info:stderr"), List.of("--version")));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("remora ");
        assertThat(r.err()).contains("Opened AOT cache /opt/remora/remora.aot.")
                .contains("Using AOT-linked classes: true");
    }

    @Test
    void remoraVersionRunsInsideTheImage() throws Exception {
        Run r = run(inImage("1337", List.of("--version")));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("remora ");
    }

    @Test
    void aProxyInsideTheImageAnswersHealthzReady() throws Exception {
        int healthPort = writeSidecar();
        proxyAnswersReadyAndStopsOnSigterm(inImage("1337", List.of(), List.of("proxy", "--config", "/sidecar.yaml")),
                healthPort);
    }

    /** As the injected sidecar runs: readOnlyRootFilesystem, an emptyDir on /tmp, and the cache only read. */
    @Test
    void aProxyInsideTheImageStartsUnderAReadOnlyRootWithAWritableTmp() throws Exception {
        int healthPort = writeSidecar();
        boolean cached = ImageRuntime.feature(rootfs.resolve("opt/remora/jre")) >= 25;
        List<String> aot = cached ? List.of("-XX:AOTMode=on") : List.of();
        proxyAnswersReadyAndStopsOnSigterm(chrootReadOnly("1337", entrypoint(aot, List.of("proxy", "--config",
                "/sidecar.yaml"))), healthPort);
    }

    /** Writes /sidecar.yaml into the image (before a read-only mount): a sidecar whose health port it returns. */
    private static int writeSidecar() throws IOException {
        int healthPort = freePort();
        Files.writeString(rootfs.resolve("sidecar.yaml"), TestMesh.sidecar("web", "shop").accessLog(true)
                .set("health", TestMesh.loopback(healthPort)).set("drainTime", "1s").yaml());
        return healthPort;
    }

    private void proxyAnswersReadyAndStopsOnSigterm(List<String> command, int healthPort) throws Exception {
        Path out = work.resolve("proxy-stdout.txt");
        Path err = work.resolve("proxy-stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("REMORA_"));
        proxy = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + "/healthz/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        Eventually.within(Duration.ofMinutes(2)).every(Duration.ofMillis(200)).unless(() -> !proxy.isAlive())
                .untilPasses(() -> {
                    assertThat(proxy.isAlive()).as("the proxy is running; stdout:%n%s%nstderr:%n%s", read(out),
                            read(err)).isTrue();
                    assertThat(http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
                });
        // Netty's native epoll transport loaded from the image's libraries (and the writable /tmp it unpacks to).
        assertThat(read(out)).contains("\"event\":\"proxy_ready\"").contains("\"transport\":\"epoll\"");

        sigterm(proxy);
        assertThat(proxy.waitFor(60, TimeUnit.SECONDS)).as("the proxy exits after SIGTERM").isTrue();
        assertThat(proxy.exitValue()).as("exit status; stderr:%n%s", read(err)).isZero();
        assertThat(read(out)).contains("\"event\":\"proxy_stopped\"");
    }

    @Test
    void theImagesIptablesToolsRun() throws Exception {
        for (String family : List.of("iptables", "ip6tables")) {
            for (String backend : List.of("nft", "legacy")) {
                for (String tool : List.of("save", "restore")) {
                    String name = family + "-" + backend + "-" + tool;
                    Run r = run(chroot("0", List.of("/usr/sbin/" + name, "--version")));
                    assertThat(r.exit()).as("%s --version: %s", name, r.err()).isZero();
                    assertThat(r.out()).contains(backend.equals("nft") ? "(nf_tables)" : "(legacy)");
                }
            }
        }
    }

    @Test
    void remoraInitInsideTheImageInstallsTheRulesInAFreshNetworkNamespace() throws Exception {
        // A network namespace of its own stands in for the pod: init, then the image's own iptables-save.
        String java = String.join(" ", ENTRYPOINT);
        Run r = run(List.of("unshare", "--net", "--pid", "--fork", "--kill-child",
                "--mount-proc=" + rootfs.resolve("proc"), "sh", "-c",
                "chroot \"$0\" " + java + " init --exclude-outbound-ports 3306 --iptables-mode nft"
                        + " && chroot \"$0\" /usr/sbin/iptables-nft-save -t nat", rootfs.toString()));
        assertThat(r.exit()).as("stdout:%n%s%nstderr:%n%s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("-A REMORA_REDIRECT -p tcp -j REDIRECT --to-ports 15001")
                .contains("-A REMORA_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006")
                .contains("--dport 3306 -j RETURN");
    }

    /** The entrypoint with {@code jvmFlags} added to its own and {@code args}, run as {@code uid} inside the image. */
    private static List<String> inImage(String uid, List<String> jvmFlags, List<String> args) {
        return chroot(uid, entrypoint(jvmFlags, args));
    }

    private static List<String> inImage(String uid, List<String> args) {
        return inImage(uid, List.of(), args);
    }

    private static List<String> entrypoint(List<String> jvmFlags, List<String> args) {
        List<String> command = new ArrayList<>(ENTRYPOINT.subList(0, JVM_FLAGS_END));
        command.addAll(jvmFlags);
        command.addAll(ENTRYPOINT.subList(JVM_FLAGS_END, ENTRYPOINT.size()));
        command.addAll(args);
        return command;
    }

    /**
     * {@code command} as {@code uid} in the image mounted read-only, with a tmpfs on /tmp: a pod with
     * readOnlyRootFilesystem and the injector's emptyDir. The mounts live in a mount namespace of the command's own.
     */
    private static List<String> chrootReadOnly(String uid, List<String> command) {
        List<String> c = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child=SIGTERM",
                "--mount-proc=" + rootfs.resolve("proc"), "sh", "-c",
                "mount --rbind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\""
                        + " && mount -t tmpfs -o mode=1777 tmpfs \"$0/tmp\""
                        + " && exec chroot --userspec=" + uid + ":" + uid + " \"$0\" \"$@\"", rootfs.toString()));
        c.addAll(command);
        return c;
    }

    private static List<String> chroot(String uid, List<String> command) {
        List<String> c = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--kill-child=SIGTERM",
                "--mount-proc=" + rootfs.resolve("proc"), "chroot", "--userspec=" + uid + ":" + uid,
                rootfs.toString()));
        c.addAll(command);
        return c;
    }

    private static Run run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        // Small outputs: read one stream, then the other.
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    private static void ok(List<String> command) throws Exception {
        Run r = run(command);
        assertThat(r.exit()).as("%s: %s", String.join(" ", command), r.err()).isZero();
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }

    private static int freePort() throws IOException {
        return io.remora.launcher.testing.FreePorts.next();
    }
}
