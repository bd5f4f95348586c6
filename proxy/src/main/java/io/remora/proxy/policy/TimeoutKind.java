package io.remora.proxy.policy;

/** Which timeout fired: the {@code kind} label of {@code remora_timeouts_total}. */
public enum TimeoutKind {
    /** Connecting to an endpoint took longer than the service's connect timeout. */
    CONNECT("connect"),
    /** One try got no response head within the per-try timeout. */
    PER_TRY("per-try"),
    /** The whole exchange ran past its deadline (route timeout or grpc-timeout). */
    DEADLINE("deadline");

    private final String label;

    TimeoutKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
