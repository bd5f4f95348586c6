package io.remora.protocol;

import java.util.List;

/**
 * Who a subscribing sidecar is and what it needs; sent in the first request of a subscription.
 *
 * @param namespace the sidecar's namespace; must be the namespace of its certificate's SPIFFE ID
 * @param workload  its workload name (which AuthorizationPolicies select it)
 * @param calls     the services it calls by name ({@code name.namespace}); null when it may call any service
 *                  (transparent capture)
 */
public record Node(String namespace, String workload, List<String> calls) {
    public Node {
        calls = calls == null ? null : List.copyOf(calls);
    }
}
