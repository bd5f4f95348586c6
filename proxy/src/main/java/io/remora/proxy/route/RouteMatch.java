package io.remora.proxy.route;

import io.remora.proxy.cluster.Cluster;

/**
 * The result of routing one request: which route and rule matched and the cluster chosen for it. Instances are
 * built with the route table and reused for every request that takes the same path.
 *
 * @param routeName name of the matching Route, or {@code "default"} when the service has no Route
 * @param ruleName  name of the matching rule ({@code "rule-N"} for an unnamed rule N), or {@code "default"}
 * @param cluster   where the request goes
 * @param policy    deadline, retries, faults and rate limit of the rule
 */
public record RouteMatch(String routeName, String ruleName, Cluster cluster, RoutePolicy policy) {
}
