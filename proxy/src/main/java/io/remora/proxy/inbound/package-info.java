/**
 * Where inbound traffic goes in the pod: the app's port the caller dialled (its original destination), what that
 * port speaks, and the address the app actually listens on.
 */
package io.remora.proxy.inbound;
