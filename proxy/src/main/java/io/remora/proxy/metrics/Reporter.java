package io.remora.proxy.metrics;

/**
 * Which side reports a metric, as Istio's {@code reporter} label: outbound traffic is reported as source, inbound
 * traffic as destination.
 */
public enum Reporter {
    SOURCE("source"),
    DESTINATION("destination");

    private final String label;

    Reporter(String label) {
        this.label = label;
    }

    /** The label value: {@code source} or {@code destination}. */
    public String label() {
        return label;
    }
}
