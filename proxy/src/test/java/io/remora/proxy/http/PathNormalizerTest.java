package io.remora.proxy.http;

import io.remora.config.Sidecar;
import io.remora.config.Sidecar.EscapedSlashes;
import io.remora.config.Sidecar.PathMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PathNormalizerTest {
    private static PathNormalizer normalizer(PathMode mode, boolean merge, EscapedSlashes escaped) {
        return new PathNormalizer(new Sidecar.PathNormalization(mode, merge, escaped));
    }

    private static final PathNormalizer DEFAULT = new PathNormalizer(Sidecar.PathNormalization.defaults());

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/|/",
            "/a/b|/a/b",
            "/a/./b|/a/b",
            "/a/../b|/b",
            "/a/b/..|/a/",
            "/a/b/.|/a/b/",
            "/.|/",
            "/a/..|/",
            "//a///b//|/a/b/",
            "/%61%62%63|/abc",
            "/%7e%2D%2e%5F|/~-._",
            "/a%2fb|/a%2Fb",
            "/a%5cb|/a%5Cb",
            "/a%20b|/a%20b",
            "/a%e2%82%ac|/a%E2%82%AC",
            "/a\\b\\..\\c|/a/c",
            "/x/%2e%2e/admin|/admin",
            "/.hidden/file|/.hidden/file",
            "/a..b/c|/a..b/c",
            "/a?x=/../y&z=%61|/a?x=/../y&z=%61",
            "*|*"})
    void normalizes(String in, String out) throws Exception {
        assertThat(DEFAULT.normalize(in)).isEqualTo(out);
    }

    @Test
    void anUnchangedPathIsTheSameInstance() throws Exception {
        String path = "/api/v1/items?id=7";
        assertThat(DEFAULT.normalize(path)).isSameAs(path);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/..|climbs above the root",
            "/a/../../b|climbs above the root",
            "/%2e%2e/a|climbs above the root",
            "/a%00|NUL",
            "/a%0|two hex digits",
            "/a%g1|two hex digits",
            "/a#b|fragment",
            "/caf\u00e9|non-ASCII"})
    void refuses(String in, String reason) {
        assertThatThrownBy(() -> DEFAULT.normalize(in)).isInstanceOf(PathNormalizer.InvalidPath.class)
                .hasMessageContaining(reason);
    }

    @Test
    void slashesAreKeptWhenNotMerged() throws Exception {
        assertThat(normalizer(PathMode.NORMALIZE, false, EscapedSlashes.KEEP).normalize("//a//b/./c"))
                .isEqualTo("//a//b/c");
    }

    @Test
    void escapedSlashesCanBeDecodedOrRefused() throws Exception {
        assertThat(normalizer(PathMode.NORMALIZE, true, EscapedSlashes.DECODE).normalize("/admin%2F..%2fx%5Cy"))
                .isEqualTo("/x/y");
        assertThatThrownBy(() -> normalizer(PathMode.NORMALIZE, true, EscapedSlashes.REJECT).normalize("/a%2Fb"))
                .hasMessageContaining("encoded slash");
    }

    @Test
    void rejectModeRefusesWhatNormalizeWouldChange() throws Exception {
        PathNormalizer reject = normalizer(PathMode.REJECT, true, EscapedSlashes.KEEP);
        assertThat(reject.normalize("/a/b%20c?q=/../")).isEqualTo("/a/b%20c?q=/../");
        assertThatThrownBy(() -> reject.normalize("/a/./b")).hasMessageContaining("not in normal form");
        assertThatThrownBy(() -> reject.normalize("/%61")).hasMessageContaining("not in normal form");
    }

    @Test
    void noneForwardsAsReceived() throws Exception {
        assertThat(normalizer(PathMode.NONE, true, EscapedSlashes.KEEP).normalize("/a/../%61//b")).isEqualTo(
                "/a/../%61//b");
    }
}
