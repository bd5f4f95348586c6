#!/usr/bin/env bash
# Remora tracing overhead: HTTP/1.1 throughput of one sidecar with tracing off, at 1 % sampling (Istio's default)
# and at 100 %, exporting to a local OTLP/HTTP collector stand-in that accepts every batch. Three sidecars (one
# JVM each, one event loop) in front of the same nginx backend, measured in rotating rounds so drift on the machine
# hits all alike. Reports each variant's median and its ratio to "off". Not part of the test suite.
#
# Usage: bench/tracing.sh [--rounds N] [--duration S] [--conns C]
#   default: 5 rounds of 10 s per variant, 50 keep-alive connections (h2load --h1). Needs nginx, h2load, python3
#   and launcher/target/remora.jar (built if missing).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
round_flags 5 "$@"
require_tools nginx h2load curl java python3
ensure_jar
start_ok_backend 18380

# The collector stand-in: answers 200 with an empty ExportTraceServiceResponse to every POST, reads and drops it.
cat > "$WORK/collector.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(200); self.send_header('Content-Type', 'application/x-protobuf')
        self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
python3 "$WORK/collector.py" 18399 &
PIDS+=($!)

variant() { # variant NAME BASE_PORT TRACING_FLOW
  cat > "$WORK/$1.yaml" <<YAML
apiVersion: remora.io/v1
kind: Sidecar
metadata: {name: tracing-$1, namespace: bench}
spec:
  threads: 1
  accessLog: false
  admin: 127.0.0.1:$(($2 + 1))
  metrics: 127.0.0.1:$(($2 + 2))
  health: 127.0.0.1:$(($2 + 3))
  outbound: {upstreams: [{listen: 127.0.0.1:$2, service: app.bench}]}
  $3
---
apiVersion: remora.io/v1
kind: Service
metadata: {name: app, namespace: bench}
spec:
  endpoints: [{address: 127.0.0.1:18380}]
YAML
  # shellcheck disable=SC2086
  java $SIDECAR_JAVA_OPTS -jar "$JAR" proxy --config "$WORK/$1.yaml" > "$WORK/$1.out" 2>&1 &
  PIDS+=($!)
  wait_ready "${PIDS[-1]}" $(($2 + 3)) "$WORK/$1.out"
}
variant off 18310 ""
variant one 18320 "tracing: {sampling: 1, collector: http://127.0.0.1:18399}"
variant all 18330 "tracing: {sampling: 100, collector: http://127.0.0.1:18399}"

NAMES=(off one all) PORTS=(18310 18320 18330)
declare -A RPS=()
for i in 0 1 2; do rps "${PORTS[$i]}" "$WARMUP" >/dev/null; done
for ((r = 0; r < ROUNDS; r++)); do
  line="round $((r + 1)):"
  for k in 0 1 2; do
    i=$(((k + r) % 3)) # rotate which goes first
    v=$(rps "${PORTS[$i]}" "$DURATION")
    RPS[${NAMES[$i]}]+="$v "
    line+=" ${NAMES[$i]} $v"
  done
  echo "$line rps" >&2
done
med() { tr ' ' '\n' <<<"${RPS[$1]}" | grep . | median; }
off=$(med off) one=$(med one) all=$(med all)
dropped() { curl -s "http://127.0.0.1:$1/stats/prometheus" | awk '/^remora_tracing_spans_dropped_total/ {s += $NF} END {print s + 0}'; }
exported() { curl -s "http://127.0.0.1:$1/stats/prometheus" | awk '/^remora_tracing_spans_exported_total/ {s += $NF} END {print s + 0}'; }
printf '| tracing | median rps | ratio to off | spans exported | spans dropped | rounds |\n|---|---:|---:|---:|---:|---|\n'
printf '| off | %.0f | 1.000 | - | - | %s |\n' "$off" "${RPS[off]}"
printf '| 1 %% sampled | %.0f | %.3f | %s | %s | %s |\n' "$one" "$(awk -v a="$one" -v b="$off" 'BEGIN {print a / b}')" \
  "$(exported 18322)" "$(dropped 18322)" "${RPS[one]}"
printf '| 100 %% sampled | %.0f | %.3f | %s | %s | %s |\n' "$all" "$(awk -v a="$all" -v b="$off" 'BEGIN {print a / b}')" \
  "$(exported 18332)" "$(dropped 18332)" "${RPS[all]}"
printf '\nload: h2load --h1 -t 1 -c %s, %s s per round, 1 event loop per sidecar; commit %s\n' "$CONNS" "$DURATION" \
  "$(git -C "$REPO_DIR" rev-parse --short HEAD)"
