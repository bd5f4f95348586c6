#!/usr/bin/env bash
# Remora footprint: time to ready and resident memory at a fixed, moderate load, for one or more sets
# of JVM flags. Complements run.sh (saturation throughput). Not part of the test suite.
#
# Usage: bench/footprint.sh [--rate RPS] [--duration S] [--flags "JVM FLAGS"]...
#   default: 1000 rps for 15 s, once with the default (C2) flags and once with the C1-only
#   footprint flags. Needs nginx and h2load (installed like run.sh does) and launcher/target/remora.jar.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
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
for tool in nginx h2load curl java; do
  command -v "$tool" >/dev/null || { echo "footprint: $tool is missing (bench/run.sh installs it)" >&2; exit 1; }
done
JAR=$REPO_DIR/launcher/target/remora.jar
[[ -f $JAR ]] || (cd "$REPO_DIR" && mvn -q -B -DskipTests package)

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Backend: nginx answering "ok" on 127.0.0.1:18180.
mkdir -p "$WORK/logs"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:18180; location / { return 200 "ok\n"; } }
}
NGINX
nginx -p "$WORK" -c "$WORK/nginx.conf"

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
  until curl -sf -o /dev/null http://127.0.0.1:18192/healthz/ready; do
    kill -0 "$pid" 2>/dev/null || { echo "remora exited: $(tail -3 "$WORK/remora.out")" >&2; exit 1; }
    sleep 0.005
  done
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
