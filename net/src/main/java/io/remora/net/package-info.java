/**
 * What the proxy and the control plane share about their sockets: {@link io.remora.net.ListenFailure}, a listener
 * that could not be opened, named so that the person who started the process can act on it.
 */
package io.remora.net;
