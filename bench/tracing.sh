#!/usr/bin/env bash
# Remora tracing overhead: HTTP/1.1 throughput of one sidecar with tracing off, at 1 % sampling (Istio's default)
# and at 100 %, exporting to a local OTLP/HTTP collector stand-in that accepts every batch. Three sidecars (one
# JVM each, one event loop) in front of the same nginx backend, measured in rotating rounds so drift on the machine
# hits all alike. Reports each variant's median rps and its ratio to "off", and the sidecar's CPU time per request
# split by thread (event loop, GC, JIT compiler, the rest: the exporter's threads), which a shared 2-core machine
# disturbs far less than rps: every extra thread's CPU is taken from the load generator and the backend too.
# Each sidecar is warmed up for 15 s first, so the JIT has compiled the tracing paths before anything is measured.
# Not part of the test suite.
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
  run_sidecar proxy --config "$WORK/$1.yaml" > "$WORK/$1.out" 2>&1 &
  PIDS+=($!)
  wait_ready "${PIDS[-1]}" $(($2 + 3)) "$WORK/$1.out"
}
variant off 18310 ""
variant one 18320 "tracing: {sampling: 1, collector: http://127.0.0.1:18399}"
variant all 18330 "tracing: {sampling: 100, collector: http://127.0.0.1:18399}"

NAMES=(off one all) PORTS=(18310 18320 18330) SIDECAR_PIDS=("${PIDS[-3]}" "${PIDS[-2]}" "${PIDS[-1]}")
HZ=$(getconf CLK_TCK)
# threads PID: one "tid|kind|ticks" line per thread, kind one of io, gc, jit, other
threads() {
  for t in /proc/"$1"/task/*; do
    printf '%s|%s|%s\n' "${t##*/}" "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done | awk -F'|' '{k = $2 ~ /^remora-io/ ? "io" : $2 ~ /VM Thread|GC/ ? "gc" : $2 ~ /Compiler/ ? "jit" : "other"; print $1 "|" k "|" $3}' | sort
}
declare -A RPS=() CPU=()
for i in 0 1 2; do rps "${PORTS[$i]}" 15 >/dev/null; done
for ((r = 0; r < ROUNDS; r++)); do
  line="round $((r + 1)):"
  for k in 0 1 2; do
    i=$(((k + r) % 3)) # rotate which goes first
    threads "${SIDECAR_PIDS[$i]}" > "$WORK/t0"
    out=$(h2load --h1 -t 1 -c "$CONNS" -D "$DURATION" "http://127.0.0.1:${PORTS[$i]}/")
    threads "${SIDECAR_PIDS[$i]}" > "$WORK/t1"
    v=$(awk '/^finished in/ {gsub(/,/, "", $4); print $4}' <<<"$out")
    n=$(awk '/^requests:/ {print $4}' <<<"$out")
    # Threads that ended during the round are missed; the sidecar's are long-lived.
    CPU[${NAMES[$i]}]+="$(join -t'|' "$WORK/t0" "$WORK/t1" | awk -F'|' -v n="$n" -v hz="$HZ" '
      {d[$2] += $5 - $3; tot += $5 - $3}
      END {f = 1e6 / hz / n; printf "%.2f/%.2f/%.2f/%.2f/%.2f ", tot * f, d["io"] * f, d["gc"] * f, d["jit"] * f, d["other"] * f}')"
    RPS[${NAMES[$i]}]+="$v "
    line+=" ${NAMES[$i]} $v"
  done
  echo "$line rps" >&2
done
med() { tr ' ' '\n' <<<"${RPS[$1]}" | grep . | median; }
# cpu NAME FIELD: the median over rounds of one CPU figure (1 total, 2 event loop, 3 GC, 4 JIT, 5 other), µs/request
cpu() { tr ' ' '\n' <<<"${CPU[$1]}" | grep . | cut -d/ -f"$2" | median | awk '{printf "%.2f", $1}'; }
off=$(med off) one=$(med one) all=$(med all)
dropped() { curl -s "http://127.0.0.1:$1/stats/prometheus" | awk '/^remora_tracing_spans_dropped_total/ {s += $NF} END {print s + 0}'; }
exported() { curl -s "http://127.0.0.1:$1/stats/prometheus" | awk '/^remora_tracing_spans_exported_total/ {s += $NF} END {print s + 0}'; }
printf '| tracing | median rps | ratio to off | CPU µs/req | ratio to off | event loop | GC | JIT | other threads | spans exported | spans dropped |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
row() { # row LABEL NAME RPS METRICS_PORT
  local exp="-" drop="-"
  [[ -n $4 ]] && exp=$(exported "$4") && drop=$(dropped "$4")
  printf '| %s | %.0f | %.3f | %s | %.3f | %s | %s | %s | %s | %s | %s |\n' "$1" "$3" \
    "$(awk -v a="$3" -v b="$off" 'BEGIN {print a / b}')" "$(cpu "$2" 1)" \
    "$(awk -v a="$(cpu "$2" 1)" -v b="$(cpu off 1)" 'BEGIN {print a / b}')" \
    "$(cpu "$2" 2)" "$(cpu "$2" 3)" "$(cpu "$2" 4)" "$(cpu "$2" 5)" "$exp" "$drop"
}
row off off "$off" ""
row "1 % sampled" one "$one" 18322
row "100 % sampled" all "$all" 18332
printf '\nrps per round: off %s; 1 %% %s; 100 %% %s\n' "${RPS[off]}" "${RPS[one]}" "${RPS[all]}"
printf 'load: h2load --h1 -t 1 -c %s, %s s per round after 15 s of warm-up each, 1 event loop per sidecar; commit %s\n' \
  "$CONNS" "$DURATION" "$(git -C "$REPO_DIR" rev-parse --short HEAD)"
