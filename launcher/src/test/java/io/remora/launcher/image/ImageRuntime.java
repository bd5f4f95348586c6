package io.remora.launcher.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * What the image's runtime should be: the JDK stage-rootfs.sh links from on this machine and the JVM flags it writes
 * for it into {@code /opt/remora/jvm.options} ({@code bin/remora}'s defaults for that JDK), for the image tests.
 */
final class ImageRuntime {
    /** bin/remora's defaults on every JDK. */
    static final List<String> FLAGS = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx64m", "-Xss256k",
            "-XX:MaxDirectMemorySize=64m", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxMetaspaceSize=64m",
            "-Dio.netty.leakDetection.level=disabled", "-Dio.netty.jfr.enabled=false", "-Xlog:disable",
            "-Xlog:all=warning:stderr", "-Dio.netty.allocator.lowMemory=false");
    /** bin/remora's defaults on JDK 25 and later, the image's cache last. */
    static final List<String> FLAGS_25 = Stream.concat(FLAGS.stream(), Stream.of("-XX:+UseCompactObjectHeaders",
            "-XX:TrimNativeHeapInterval=1000", "--enable-native-access=ALL-UNNAMED",
            "-Djdk.reflect.useNativeAccessorOnly=true", "--sun-misc-unsafe-memory-access=allow",
            "-XX:AOTCache=/opt/remora/remora.aot")).toList();

    private ImageRuntime() {
    }

    /**
     * The feature version of the JDK stage-rootfs.sh links from here: REMORA_IMAGE_JDK's, else the newest JDK 25 or
     * later with jlink in REMORA_IMAGE_JDKS (default /usr/lib/jvm), else 17 (Debian's, from its jmods).
     */
    static int expectedFeature() throws IOException {
        String named = System.getenv("REMORA_IMAGE_JDK");
        if (named != null && !named.isEmpty()) {
            return feature(Path.of(named));
        }
        return Math.max(17, newest25(Path.of(Objects.requireNonNullElse(System.getenv("REMORA_IMAGE_JDKS"),
                "/usr/lib/jvm"))));
    }

    /** The newest feature version of 25 or later with jlink among the JDKs in {@code dir}; 0 when there is none. */
    static int newest25(Path dir) throws IOException {
        int best = 0;
        if (Files.isDirectory(dir)) {
            try (Stream<Path> homes = Files.list(dir)) {
                for (Path home : (Iterable<Path>) homes::iterator) {
                    int f = feature(home);
                    if (f >= 25 && Files.isExecutable(home.resolve("bin/jlink"))) {
                        best = Math.max(best, f);
                    }
                }
            }
        }
        return best;
    }

    /** A Java home's feature version (25 for 25.0.3) from its release file; 0 when it has none. */
    static int feature(Path home) throws IOException {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) {
            return 0;
        }
        String key = "JAVA_VERSION=\"";
        for (String line : Files.readAllLines(release)) {
            if (line.startsWith(key)) {
                int end = key.length();
                while (end < line.length() && Character.isDigit(line.charAt(end))) {
                    end++;
                }
                return end == key.length() ? 0 : Integer.parseInt(line.substring(key.length(), end));
            }
        }
        return 0;
    }

    /** The flags a jvm.options file holds, comments left out. */
    static List<String> flagsIn(Path jvmOptions) throws IOException {
        return Files.readAllLines(jvmOptions).stream().filter(l -> !l.startsWith("#")).toList();
    }
}
