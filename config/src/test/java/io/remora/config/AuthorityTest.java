package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How an authority is read: the one reading the validator indexes by and the proxy looks requests up by. */
class AuthorityTest {
    @ParameterizedTest
    @CsvSource({"payments.shop, payments.shop", "Payments.Shop:8080, payments.shop", "shop.example., shop.example",
            "SHOP.example.:443, shop.example", "[FD00::1]:80, fd00::1", "[fd00::1], fd00::1", "fd00::1, fd00::1",
            "10.0.0.1:80, 10.0.0.1", "'  a.b  ', a.b", "a:, a"})
    void theHostIsReadWithoutPortBracketsTrailingDotOrCase(String text, String host) {
        assertThat(Authority.of(text)).isEqualTo(new Authority(host));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", ":80", "[fd00::1", "[]:80", "."})
    void noHostNoAuthority(String text) {
        assertThat(Authority.of(text)).isNull();
        assertThat(Authority.hostRange(text.trim())).isEqualTo(-1);
    }

    @Test
    void hostRangeIsWhereTheHostStands() {
        long range = Authority.hostRange("[fd00::1]:8080");
        assertThat((int) (range >>> 32)).isEqualTo(1);
        assertThat((int) range).isEqualTo(8);
        assertThat(Authority.fold('Q')).isEqualTo('q');
        assertThat(Authority.fold('-')).isEqualTo('-');
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "payments.shop", "payments.shop:8080", "a:", "[fd00::1]", "[fd00::1]:80",
            "[::ffff:10.0.0.1]:80", "10.0.0.1:80", "x-_~.!$&'()*+,;=%41"})
    void uriHostPortAccepts(String text) {
        assertThat(Authority.isUriHostPort(text)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a/b", "a@b", "a:8o", "a:80:80", "[fd00::1", "[fd00::1]x", "[fd00::1]:x",
            "[fd00::%1]", "ä.example", "a\tb"})
    void uriHostPortRefuses(String text) {
        assertThat(Authority.isUriHostPort(text)).isFalse();
    }
}
