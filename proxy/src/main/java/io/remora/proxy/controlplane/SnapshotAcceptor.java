package io.remora.proxy.controlplane;

import io.remora.config.ConfigException;
import io.remora.config.Snapshot;
import io.remora.log.Log;
import io.remora.protocol.DiscoveryRequest;
import io.remora.protocol.DiscoveryResponse;
import io.remora.proxy.ConfigTarget;

import java.io.IOException;

/**
 * Decides what one push becomes and what the control plane is told: the resources are validated like config files,
 * paired with the proxy's Sidecar and applied; an applied snapshot is kept as the last-known-good and ACKed; one the
 * validator refuses is NACKed {@code INVALID_CONFIG} with every {@code file:line:col} error, and the running config
 * stays. A NACKed snapshot is never applied.
 *
 * <p>{@code APPLY_FAILED} is unreachable for a snapshot the validator accepted: the routing table is built from the
 * validator's own mesh index (no name, address or route is checked twice), and the Sidecar is the proxy's own, so
 * {@link ConfigTarget#apply} has nothing left to refuse. The NACK is kept for the protocol's sake and as the answer
 * should an apply fail all the same. Called on the client's thread only.
 */
final class SnapshotAcceptor {
    private final ConfigTarget target;
    private final LastKnownGood lastKnownGood;
    private final ControlPlaneStatus status;
    /** The version last written to the last-known-good, so a re-push of it is not written again. */
    private String kept;

    SnapshotAcceptor(ConfigTarget target, LastKnownGood lastKnownGood, ControlPlaneStatus status) {
        this.target = target;
        this.lastKnownGood = lastKnownGood;
        this.status = status;
    }

    /** The version the proxy runs, as the hello tells the control plane. */
    String runningVersion() {
        return target.runningVersion();
    }

    /** Handles {@code push}; returns the ACK or NACK to send. */
    DiscoveryRequest accept(DiscoveryResponse push) {
        String version = push.version();
        String nonce = push.nonce() == null ? "" : push.nonce();
        if (version == null || version.isBlank() || version.chars().anyMatch(Character::isISOControl)) {
            return nack(String.valueOf(version), nonce, DiscoveryRequest.Reason.DECODE_FAILED,
                    "the snapshot's version is empty or holds control characters: expected one line of text");
        }
        if (push.resources() == null) {
            return nack(version, nonce, DiscoveryRequest.Reason.DECODE_FAILED,
                    "the snapshot has no resources field (an empty config is an empty string)");
        }
        Snapshot next;
        try {
            next = ControlPlaneResources.snapshot("control-plane " + version, version, push.resources(),
                    target.sidecar());
        } catch (ConfigException e) {
            return nack(version, nonce, DiscoveryRequest.Reason.INVALID_CONFIG, e.getMessage());
        }
        try {
            target.apply(next);
        } catch (RuntimeException e) {
            // Not reached for a validated snapshot (see the class comment); a defect if it is.
            return nack(version, nonce, DiscoveryRequest.Reason.APPLY_FAILED, String.valueOf(e.getMessage()));
        }
        if (!version.equals(kept)) {
            try {
                lastKnownGood.save(version, push.resources());
                kept = version;
            } catch (IOException e) {
                // Applied all the same: only a restart without the control plane would miss it.
                Log.warn("last_known_good_write_failed", "file", lastKnownGood.path().toString(),
                        "error", e.toString());
            }
        }
        status.acked();
        Log.info("control_plane_snapshot_acked", "version", version, "nonce", nonce);
        return DiscoveryRequest.ack(version, nonce);
    }

    private DiscoveryRequest nack(String version, String nonce, DiscoveryRequest.Reason reason, String detail) {
        String running = target.runningVersion();
        status.nacked(version, nonce, reason, detail);
        Log.warn("control_plane_snapshot_nacked", "version", version, "nonce", nonce, "reason", reason.name(),
                "detail", detail, "kept_version", running);
        return DiscoveryRequest.nack(running, nonce, reason, detail);
    }
}
