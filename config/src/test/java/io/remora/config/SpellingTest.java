package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpellingTest {
    private static final List<String> FIELDS = List.of("threads", "accessLog", "drainTime", "admin");

    @Test
    void suggestsCloseNames() {
        assertThat(Spelling.suggest("treads", FIELDS)).contains("threads");
        assertThat(Spelling.suggest("access_log", FIELDS)).contains("accessLog");
        assertThat(Spelling.suggest("DrainTime", FIELDS)).contains("drainTime");
    }

    @Test
    void doesNotSuggestDistantOrTooShortNames() {
        assertThat(Spelling.suggest("workers", FIELDS)).isEmpty();
        assertThat(Spelling.suggest("v2", List.of("v1"))).isEmpty();
    }

    @Test
    void unknownListsTheCandidatesAndTheSuggestion() {
        assertThat(Spelling.unknown("field 'treads'", "treads", FIELDS)).isEqualTo(
                "unknown field 'treads', expected one of: threads, accessLog, drainTime, admin; did you mean 'threads'?");
        assertThat(Spelling.unknown("field 'port'", "port", FIELDS)).isEqualTo(
                "unknown field 'port', expected one of: threads, accessLog, drainTime, admin");
    }
}
