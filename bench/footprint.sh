#!/usr/bin/env bash
# Remora footprint: time to ready and resident memory at a fixed, moderate load, for one or more sets
# of JVM flags. Complements run.sh (saturation throughput). Not part of the test suite.
#
# Usage: bench/footprint.sh [--rate RPS] [--duration S] [--flags "JVM FLAGS"]...
#   default: 1000 rps for 15 s, once with the default (C2) flags and once with the C1-only
#   footprint flags. Needs nginx and h2load (installed like run.sh does) and launcher/target/remora.jar.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATE=1000
DURATION=15
FLAG_SETS=()
COMMON="-XX:+UseSerialGC -Xss256k -XX:MaxDirectMemorySize=64m -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=64m -Dio.netty.leakDetection.level=disabled"
while (($#)); do
  case "$1" in
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --flags) FLAG_SETS+=("$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if ((${#FLAG_SETS[@]} == 0)); then
  FLAG_SETS=("$COMMON -Xms16m -Xmx64m" "$COMMON -Xms8m -Xmx48m -XX:TieredStopAtLevel=1")
fi
require_tools nginx h2load curl java
ensure_jar

# Backend: nginx answering "ok" on 127.0.0.1:18180.
start_ok_backend 18180

cat > "$WORK/remora.yaml" <<YAML
apiVersion: remora.io/v1
kind: Sidecar
metadata: {name: footprint, namespace: bench}
spec:
  threads: 1
  accessLog: false
  admin: 127.0.0.1:18190
  metrics: 127.0.0.1:18191
  health: 127.0.0.1:18192
  outbound:
    upstreams:
      - {listen: 127.0.0.1:18185, service: backend.bench}
---
apiVersion: remora.io/v1
kind: Service
metadata: {name: backend, namespace: bench}
spec:
  endpoints:
    - {address: 127.0.0.1:18180}
YAML

printf '| JVM flags | ready ms | rps sent | RSS MB | HWM MB |\n|---|---:|---:|---:|---:|\n'
CONNS=10
PER_CONN=$(( (RATE + CONNS - 1) / CONNS ))
for flags in "${FLAG_SETS[@]}"; do
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  java $flags -jar "$JAR" proxy --config "$WORK/remora.yaml" > "$WORK/remora.out" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_ready "$pid" 18192
  ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  sent=$(h2load --h1 -c "$CONNS" --rps "$PER_CONN" -D "$DURATION" http://127.0.0.1:18185/ \
         | awk '/^finished in/ {print $4}')
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  printf '| `%s` | %s | %s | %s | %s |\n' "${flags#"$COMMON "}" "$ready_ms" "${sent%%.*}" "$rss" "$hwm"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
echo
echo "common flags: $COMMON; load: h2load --h1 -c $CONNS --rps $PER_CONN -D $DURATION (≈ $RATE rps)"
