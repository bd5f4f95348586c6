#!/usr/bin/env bash
# Remora policy overhead: throughput with the default resilience policies (deadline, retries with
# replay buffer, retry budget, circuit breaker, outlier detection) against the same proxy with every
# policy off, in one JVM: two listeners, one per variant, to the same nginx backend, measured in
# alternating rounds so drift on the machine hits both alike. Reports the median of each and the
# ratio on/off. Not part of the test suite.
#
# Usage: bench/policy.sh [--rounds N] [--duration S] [--conns C]
#   default: 5 rounds of 10 s per variant, 50 HTTP/1.1 keep-alive connections (h2load --h1), 1 event loop.
#   Needs nginx and h2load (bench/run.sh installs them) and launcher/target/remora.jar (built if missing).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
round_flags 5 "$@"
require_tools nginx h2load curl java
ensure_jar
start_ok_backend 18280

# "on": the defaults every route and service gets. "off": every policy switched off.
cat > "$WORK/remora.yaml" <<YAML
apiVersion: remora.io/v1
kind: Sidecar
metadata: {name: policy, namespace: bench}
spec:
  threads: 1
  accessLog: false
  admin: 127.0.0.1:18290
  metrics: 127.0.0.1:18291
  health: 127.0.0.1:18292
  outbound:
    upstreams:
      - {listen: 127.0.0.1:18285, service: on.bench}
      - {listen: 127.0.0.1:18286, service: off.bench}
---
apiVersion: remora.io/v1
kind: Service
metadata: {name: on, namespace: bench}
spec:
  endpoints: [{address: 127.0.0.1:18280}]
---
apiVersion: remora.io/v1
kind: Route
metadata: {name: on, namespace: bench}
spec:
  services: [on.bench]
  rules: [{backends: [{service: on.bench}]}]
---
apiVersion: remora.io/v1
kind: Service
metadata: {name: off, namespace: bench}
spec:
  endpoints: [{address: 127.0.0.1:18280}]
  trafficPolicy:
    circuitBreaker: {enabled: false}
    outlierDetection: {consecutiveGatewayErrors: 0}
    retryBudget: {enabled: false}
---
apiVersion: remora.io/v1
kind: Route
metadata: {name: off, namespace: bench}
spec:
  services: [off.bench]
  rules: [{backends: [{service: off.bench}], timeout: 0s, retries: {attempts: 1}}]
YAML

run_sidecar proxy --config "$WORK/remora.yaml" > "$WORK/remora.out" 2>&1 &
PIDS+=($!)
wait_ready "${PIDS[0]}" 18292

JVM_PIDS=("${PIDS[@]}")
alternate on 18285 off 18286
ON=("${A_RPS[@]}") OFF=("${B_RPS[@]}")
on=$(printf '%s\n' "${ON[@]}" | median)
off=$(printf '%s\n' "${OFF[@]}" | median)
# Non-200 answers by service, code and flags: a policy that fails requests under load shows here. Requests
# cut by the load generator stopping at the end of a round (code 0, flag DC) are not failures.
errors=$(curl -s http://127.0.0.1:18291/stats/prometheus | awk '/^istio_requests_total/ && !/response_code="200"/ && !/response_flags="DC"/ {
  match($0, /destination_service="[^"]*"/); svc = substr($0, RSTART, RLENGTH)
  match($0, /response_code="[^"]*"/); code = substr($0, RSTART, RLENGTH)
  match($0, /response_flags="[^"]*"/); fl = substr($0, RSTART, RLENGTH)
  n[svc " " code " " fl] += $NF } END { for (k in n) { printf "%s%s: %d", sep, k, n[k]; sep = "; " } }')
printf '| variant | median rps | rounds |\n|---|---:|---|\n'
printf '| policies on (defaults) | %.0f | %s |\n' "$on" "${ON[*]}"
printf '| policies off | %.0f | %s |\n' "$off" "${OFF[*]}"
printf '\nratio on/off: %.3f; non-200 responses: %s; load: h2load --h1 -t 1 -c %s, %s s per round, 1 event loop\n' \
  "$(awk -v a="$on" -v b="$off" 'BEGIN {print a / b}')" "${errors:-none}" "$CONNS" "$DURATION"
