package io.remora.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Sidecar's {@code accessLogFields}: the default list, names either way, and positioned errors. */
class AccessLogFieldsConfigTest {
    private static String sidecar(String spec) {
        return """
                apiVersion: remora.io/v1
                kind: Sidecar
                metadata: {name: web, namespace: shop}
                spec:
                """ + spec;
    }

    private static List<String> load(String spec) throws ConfigException {
        return ConfigLoader.parse("s.yaml", sidecar(spec), Map.of()).sidecar().spec().accessLogFields();
    }

    @Test
    void absentMeansEveryFieldInTheDefaultLinesOrder() throws Exception {
        List<String> fields = load("  threads: 1\n");

        assertThat(fields).isEqualTo(Defaults.ACCESS_LOG_FIELDS).isEqualTo(Sidecar.defaults().spec().accessLogFields());
        assertThat(fields).startsWith("time", "type", "direction", "protocol", "method", "authority", "path",
                "status").contains("route", "trace_id").endsWith("peer_principal", "details");
        assertThat(AccessLogField.parse(fields)).isEqualTo(AccessLogField.DEFAULT);
    }

    @Test
    void aListNamesFieldsByJsonNameOrEnvoyOperatorInItsOwnOrder() throws Exception {
        List<String> fields = load("""
                  accessLogFields: [status, '%START_TIME%', method, '%REQ(:PATH)%', route]
                """);

        assertThat(fields).containsExactly("status", "%START_TIME%", "method", "%REQ(:PATH)%", "route");
        assertThat(AccessLogField.parse(fields)).containsExactly(AccessLogField.STATUS, AccessLogField.TIME,
                AccessLogField.METHOD, AccessLogField.PATH, AccessLogField.ROUTE);
        assertThat(AccessLogField.named("%ROUTE_NAME%")).isEqualTo(AccessLogField.ROUTE);
        assertThat(AccessLogField.named("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%")).isEqualTo(AccessLogField.PATH);
    }

    @Test
    void anUnknownNameIsReportedAtItsPositionWithTheValidNames() {
        List<String> errors = Errors.of(sidecar("""
                  accessLogFields:
                    - method
                    - response_code
                    - pathh
                    - '%DURATIN%'
                """));

        String valid = String.join(", ", AccessLogField.jsonNames());
        assertThat(errors).containsExactly(
                "s.yaml:7:7: spec.accessLogFields[1]: unknown access-log field \"response_code\", expected one of: "
                        + valid + " (or Envoy's operator for one, e.g. %RESPONSE_CODE% for status); did you mean"
                        + " '%RESPONSE_CODE%'?",
                "s.yaml:8:7: spec.accessLogFields[2]: unknown access-log field \"pathh\", expected one of: "
                        + valid + " (or Envoy's operator for one, e.g. %RESPONSE_CODE% for status); did you mean"
                        + " 'path'?",
                "s.yaml:9:7: spec.accessLogFields[3]: unknown access-log field \"%DURATIN%\", expected one of: "
                        + valid + " (or Envoy's operator for one, e.g. %RESPONSE_CODE% for status); did you mean"
                        + " '%DURATION%'?");
    }

    @Test
    void aFieldListedTwiceEvenUnderBothNamesIsAnError() {
        assertThat(Errors.of(sidecar("  accessLogFields: [status, method, '%RESPONSE_CODE%']\n"))).containsExactly(
                "s.yaml:5:37: spec.accessLogFields[2]: got \"%RESPONSE_CODE%\", the field status already listed at"
                        + " s.yaml:5:21, expected each field once");
    }

    @Test
    void anEmptyListIsAnError() {
        assertThat(Errors.of(sidecar("  accessLogFields: []\n"))).containsExactly(
                "s.yaml:5:20: spec.accessLogFields: got an empty list, expected at least one field (leave the list"
                        + " out for every field; accessLog: false writes no line)");
    }

    @Test
    void parsingANameNoneKnowsThrows() {
        assertThatThrownBy(() -> AccessLogField.parse(List.of("status", "nope")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'");
    }
}
