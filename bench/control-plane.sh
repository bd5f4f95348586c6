#!/usr/bin/env bash
# Control-plane scale: N simulated sidecars (one JVM, bench/target/remora-bench.jar, the real protocol over TLS
# with a certificate each) subscribed to one control plane (its own JVM, launcher/target/remora.jar); a route
# change is written R times; prints convergence p50/p99/max (file write -> snapshot received, and the control
# plane's own histogram) and the control plane's RSS and heap per connected proxy. Not part of the test suite.
#
# Usage: bench/control-plane.sh [--sidecars N] [--changes R] [--interval S] [--services S] [--transparent F]
#                               [--workloads K] [--warmup W] [--flags "CONTROL-PLANE JVM FLAGS"]
#                               [--sim-flags "SIMULATOR JVM FLAGS"] [--sim-args "--event-loops 2 ..."] [--diagnose]
#   defaults: 1000 sidecars, 5 changes 3 s apart (none discarded), 20 extra services, half the sidecars transparent
#   (calls = null), one workload name per sidecar. Waits (up to QUIET_MAX s) for the machine to be idle before
#   the start and again before the changes (other processes below QUIET_PCT % of the machine).
#   --diagnose: the control plane runs with -XX:NativeMemoryTracking=summary (which costs memory itself) and the
#   output directory gets class histograms and NMT summaries (no sidecars / all connected) and a JFR profile of the
#   changes (changes.jfr). REMORA_JAR runs another launcher build. Needs java, jcmd, jstat, curl, ss.
#   About 2 minutes at 1,000. See bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
JAR=${REMORA_JAR:-$JAR} # another build of the launcher, e.g. to compare control-plane changes
SIDECARS=1000 CHANGES=5 INTERVAL=3 SERVICES=20 TRANSPARENT=0.5 WORKLOADS= WARMUP_CHANGES=0 DIAGNOSE= SIM_ARGS=
QUIET_PCT=${QUIET_PCT:-15} QUIET_MAX=${QUIET_MAX:-120}
# The sidecar's flags (bin/remora DEFAULT_OPTS) with room for a thousand subscriptions in the heap.
CP_JAVA_OPTS=${CP_JAVA_OPTS:-"-XX:+UseSerialGC -Xms16m -Xmx512m -Xss256k -XX:MaxDirectMemorySize=64m -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=64m -Dio.netty.leakDetection.level=disabled"}
SIM_JAVA_OPTS=${SIM_JAVA_OPTS:-"-Xms256m -Xmx1g -Dio.netty.leakDetection.level=disabled"}
PORT=18310 ADMIN=18314
while (($#)); do
  case "$1" in
    --sidecars) SIDECARS=$2; shift 2 ;;
    --changes) CHANGES=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --services) SERVICES=$2; shift 2 ;;
    --transparent) TRANSPARENT=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --warmup) WARMUP_CHANGES=$2; shift 2 ;;
    --diagnose) DIAGNOSE=1; shift ;;
    --sim-args) SIM_ARGS=$2; shift 2 ;;
    --flags) CP_JAVA_OPTS=$2; shift 2 ;;
    --sim-flags) SIM_JAVA_OPTS=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
require_tools java jcmd jstat curl ss
ensure_jar
BENCH_JAR=$BENCH_DIR/target/remora-bench.jar
[[ -f $BENCH_JAR ]] || (cd "$REPO_DIR" && mvn -q -B -DskipTests package -pl bench -am)
cp_help=$(java -jar "$JAR" control-plane --help 2>&1 || true)
if [[ $cp_help != *--config-dir* ]]; then
  echo "$(basename "$0"): $JAR has no 'control-plane' command; rebuild it (mvn -q -B -DskipTests package)" >&2
  exit 1
fi

# Each sidecar is a socket on both sides (both processes here), plus the JVMs' own descriptors.
need=$((SIDECARS + 1024))
if (($(ulimit -n) < need)); then
  ulimit -n "$(( $(ulimit -Hn) < need ? $(ulimit -Hn) : need ))" 2>/dev/null || true
  (($(ulimit -n) >= need)) || { echo "$(basename "$0"): ulimit -n is $(ulimit -n), need $need" >&2; exit 1; }
fi
read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range
((hi - lo > SIDECARS + 100)) || { echo "$(basename "$0"): ephemeral port range $lo-$hi is too small" >&2; exit 1; }
for p in $PORT $ADMIN; do
  if ss -Hltn "sport = :$p" | grep -q .; then echo "$(basename "$0"): port $p is in use" >&2; exit 1; fi
done

busy_pct() { # busy_pct SECONDS -> % of all CPUs busy over that time (/proc/stat)
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep "$1"
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); printf "%d", 100 * (y[1]-x[1]) / (y[2]-x[2])}'
}
waited=0
while busy=$(busy_pct 2); ((busy >= QUIET_PCT && waited < QUIET_MAX)); do
  ((waited == 0)) && echo "waiting for a quiet machine (busy $busy% >= $QUIET_PCT%, at most $QUIET_MAX s)..." >&2
  waited=$((waited + 2))
done
QUIET_NOTE="machine $busy% busy before the start"
((waited == 0)) || QUIET_NOTE+=" (after waiting $waited s)"
((busy < QUIET_PCT)) || QUIET_NOTE+=": NOT QUIET, other processes were busy"

[[ -z $DIAGNOSE ]] || CP_JAVA_OPTS+=" -XX:NativeMemoryTracking=summary"
STAMP=$(date +%Y-%m-%d-%H%M%S)
OUT_DIR=$BENCH_DIR/out/control-plane-$STAMP
mkdir -p "$OUT_DIR"
java -cp "$BENCH_JAR" io.remora.bench.ScaleSimulator mesh --dir "$WORK/mesh" --services "$SERVICES"
echo "# <namespace>/<serviceAccount> <token>" > "$WORK/tokens"

# shellcheck disable=SC2086
java $CP_JAVA_OPTS -jar "$JAR" control-plane --config-dir "$WORK/mesh" --ca-dir "$WORK/ca" --tokens "$WORK/tokens" \
  --listen "127.0.0.1:$PORT" --admin "127.0.0.1:$ADMIN" > "$OUT_DIR/control-plane.log" 2>&1 &
CP_PID=$!
PIDS+=("$CP_PID")
wait_ready "$CP_PID" "$ADMIN" "$OUT_DIR/control-plane.log"
sleep 2 # let start-up finish (class loading, the first mesh built and published)

{
  echo "## Control-plane scale $STAMP — \`bench/control-plane.sh --sidecars $SIDECARS --changes $CHANGES --interval $INTERVAL --services $SERVICES --transparent $TRANSPARENT${WORKLOADS:+ --workloads $WORKLOADS} --warmup $WARMUP_CHANGES${SIM_ARGS:+ --sim-args \"$SIM_ARGS\"}\`"
  echo
  echo "- machine: nproc=$(nproc), kernel $(uname -r), CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), memory $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- java: $(java -version 2>&1 | head -1)"
  echo "- remora: $( [[ -n ${REMORA_JAR:-} ]] && echo "jar $REMORA_JAR" || echo "launcher/target/remora.jar") built $(date -r "$JAR" '+%Y-%m-%d %H:%M'); repository at commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)' || true)"
  echo "- control plane JVM: \`$CP_JAVA_OPTS\`; simulator JVM: \`$SIM_JAVA_OPTS\`; both on this machine, nothing pinned"
  echo "- $QUIET_NOTE"
  echo "- control plane: \`remora control-plane --config-dir DIR --ca-dir DIR --tokens FILE\`, defaults otherwise (directory polled every 100 ms, debounce quiet 100 ms / max 1 s)"
} > "$OUT_DIR/results.md"
cat "$OUT_DIR/results.md"

# shellcheck disable=SC2086
java $SIM_JAVA_OPTS -jar "$BENCH_JAR" run --port "$PORT" --admin-port "$ADMIN" --root "$WORK/ca/root.pem" \
  --tokens "$WORK/tokens" --mesh-dir "$WORK/mesh" --cp-pid "$CP_PID" --sidecars "$SIDECARS" --changes "$CHANGES" \
  --interval "$INTERVAL" --transparent "$TRANSPARENT" ${WORKLOADS:+--workloads "$WORKLOADS"} \
  --warmup "$WARMUP_CHANGES" --cp-log "$OUT_DIR/control-plane.log" ${DIAGNOSE:+--diagnose "$OUT_DIR"} \
  --quiet-pct "$QUIET_PCT" --quiet-max "$QUIET_MAX" $SIM_ARGS \
  2> >(tee "$OUT_DIR/simulator.log" >&2) | tee -a "$OUT_DIR/results.md"
kill -0 "$CP_PID" 2>/dev/null || { echo "the control plane exited: $(tail -3 "$OUT_DIR/control-plane.log")" >&2; exit 1; }
echo
echo "written to ${OUT_DIR#"$REPO_DIR/"}/results.md (control-plane.log and simulator.log beside it)"
