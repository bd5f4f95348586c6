package io.remora.launcher.image;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The stage script's two other ways (ImageIT tests the image the build made, on the build machine's own JDK): with
 * no JDK 25 to be found it says so in one line and links Debian's OpenJDK 17 from its jmods, with bin/remora's
 * flags for 17 and no cache; and, run by a user who cannot chroot, it trains the cache where it stages it, which
 * the JVM accepts at the image's own paths. Runs with ImageIT in {@code integration-test} (tag {@code image}).
 */
@Tag("image")
@Timeout(300)
class StageRootfsIT {
    private static final String OPENJDK_17 = "/usr/lib/jvm/java-17-openjdk-amd64";

    @TempDir
    Path work;

    private record Staged(int exit, String out, String err, Path rootfs) {
    }

    @Test
    void withoutAJdk25TheRuntimeIsOpenJdk17FromItsJmodsSaidInOneLine() throws Exception {
        assumeTrue(Files.isRegularFile(Path.of(OPENJDK_17, "jmods/java.base.jmod")),
                "openjdk-17-jdk-headless (.ci/run installs it)");
        Path noJdks = Files.createDirectories(work.resolve("no-jdks"));
        Staged s = stage(List.of(), work, noJdks);
        assertThat(s.exit()).as("stage-rootfs.sh; stderr:%n%s", s.err()).isZero();
        assertThat(s.err().lines().filter(l -> l.startsWith("remora image: no JDK 25")).toList())
                .containsExactly("remora image: no JDK 25 or later in " + noJdks + ": linking OpenJDK 17 from its"
                        + " jmods, without compact object headers or an ahead-of-time cache");
        Path remora = s.rootfs().resolve("opt/remora");
        assertThat(ImageRuntime.feature(remora.resolve("jre"))).isEqualTo(17);
        assertThat(ImageRuntime.flagsIn(remora.resolve("jvm.options"))).isEqualTo(ImageRuntime.FLAGS);
        assertThat(remora.resolve("remora.aot")).doesNotExist();
        assertThat(remora.resolve("jre/lib/libawt_xawt.so")).doesNotExist();

        // No cache is named, so the staged runtime runs where it is, with the image's flags.
        Process p = new ProcessBuilder(remora.resolve("jre/bin/java").toString(),
                "@" + remora.resolve("jvm.options"), "-cp", remora.resolve("remora.jar").toString(),
                "io.remora.launcher.Remora", "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).startsWith("remora ");
    }

    @Test
    void withoutRootTheCacheIsTrainedWhereStagedAndTheJvmTakesItAtTheImagesPaths() throws Exception {
        assumeTrue(ImageRuntime.newest25(Path.of("/usr/lib/jvm")) >= 25, "no JDK 25 on this machine");
        // uid 1337 (nobody's home here) stages into a directory of its own.
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dir = Files.createDirectories(work.resolve("as-1337"));
        assertThat(new ProcessBuilder("chown", "1337:1337", dir.toString()).start().waitFor()).isZero();
        Staged s = stage(List.of("setpriv", "--reuid=1337", "--regid=1337", "--clear-groups"), dir, null);
        assertThat(s.exit()).as("stage-rootfs.sh as uid 1337; stderr:%n%s", s.err()).isZero();
        assertThat(s.err()).contains("remora image: not root, so no chroot: training the ahead-of-time cache at "
                + s.rootfs());
        assertThat(ImageRuntime.flagsIn(s.rootfs().resolve("opt/remora/jvm.options")))
                .isEqualTo(ImageRuntime.FLAGS_25);

        // Chrooted, the JVM finds the jar at /opt/remora, not where the training saw it, and uses the cache anyway.
        Process p = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "--kill-child",
                "--mount-proc=" + s.rootfs().resolve("proc"), "sh", "-c",
                "mount --bind /dev \"$0/dev\" && exec chroot --userspec=1337:1337 \"$0\" \"$@\"",
                s.rootfs().toString(), "/opt/remora/jre/bin/java", "@/opt/remora/jvm.options", "-XX:AOTMode=on",
                "-Xlog:class+path=info:stdout", "-cp", "/opt/remora/remora.jar", "io.remora.launcher.Remora",
                "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("= " + s.rootfs().resolve("opt/remora/remora.jar"))
                .contains("Archived app classpath validation: passed").contains("remora ");
    }

    /**
     * stage-rootfs.sh on remora.jar into {@code dir}/rootfs, run through {@code as} (a command prefix, or none), the
     * JDK 25 searched for in {@code jdks} (null: the script's default).
     */
    private static Staged stage(List<String> as, Path dir, Path jdks) throws IOException, InterruptedException {
        Path rootfs = dir.resolve("rootfs");
        List<String> command = new ArrayList<>(as);
        command.addAll(List.of("bash", property("remora.image.stage"), property("remora.image.jar"),
                rootfs.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("REMORA_IMAGE_JDK");
        pb.environment().remove("REMORA_IMAGE_JDKS");
        if (jdks != null) {
            pb.environment().put("REMORA_IMAGE_JDKS", jdks.toString());
        }
        Path out = dir.resolve("stage-stdout.txt");
        Path err = dir.resolve("stage-stderr.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("stage-rootfs.sh finished").isTrue();
        return new Staged(p.exitValue(), Files.readString(out), Files.readString(err), rootfs);
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        assertThat(value).as("system property %s (set by launcher/pom.xml)", name).isNotBlank();
        return value;
    }
}
