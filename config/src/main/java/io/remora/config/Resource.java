package io.remora.config;

/** One configuration document: {@code apiVersion: remora.io/v1}, {@code kind}, {@code metadata}, {@code spec}. */
public sealed interface Resource permits Sidecar, Service, Route, AuthorizationPolicy {
    String API_VERSION = "remora.io/v1";

    Metadata metadata();

    String kind();
}
