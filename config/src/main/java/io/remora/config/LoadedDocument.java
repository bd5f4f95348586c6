package io.remora.config;

/**
 * One document after binding, as the validator sees it.
 *
 * @param kind     Sidecar, Service or Route
 * @param metadata its identity
 * @param resource the bound resource, or null when its spec had errors (its identity still counts for duplicate
 *                 and reference checks, so one broken document does not cause a cascade of errors)
 * @param where    positions of its fields
 */
record LoadedDocument(String kind, Metadata metadata, Resource resource, SourceMap where) {
}
