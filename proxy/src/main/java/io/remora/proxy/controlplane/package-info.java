/**
 * The sidecar's side of the control plane: its TLS channels (the control plane is authenticated by SPIFFE ID), the
 * certificate signing call, the subscription that receives snapshots and answers each with an ACK or a NACK, and
 * what is kept on disk so a restart without the control plane still serves.
 */
package io.remora.proxy.controlplane;
