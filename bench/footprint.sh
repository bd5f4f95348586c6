#!/usr/bin/env bash
# Remora footprint: time to ready and resident memory at a fixed, moderate load, for one or more JVM runtimes and
# sets of flags. Complements run.sh (saturation throughput). Not part of the test suite.
#
# Usage: bench/footprint.sh [--rate RPS] [--duration S] [--repeat N] [--threads N] [--no-access-log]
#                           [--set "LABEL|JAVA|FLAGS[|ENV[|JAR]]"]... [--flags "FLAGS"]...
#   JAVA is 17, 25 (the JDKs under /usr/lib/jvm), a path to a java binary, or bin/remora: the launcher as a user
#   runs it, with its own choice of JDK and its defaults when FLAGS is empty (REMORA_JAVA_OPTS=FLAGS otherwise).
#   ENV: environment assignments for the JVM (MALLOC_ARENA_MAX=2); JAR: another build of remora.jar (an older
#   commit's, for a before/after in one run; not with bin/remora). --flags "FLAGS" is --set "FLAGS|java|FLAGS" (the java on PATH). Default: bin/remora's defaults, and the
#   defaults before they moved to JDK 25 (JDK 17, C2, -Xms16m -Xmx64m).
#   Each set runs --repeat times (default 5), the sets in turn within each round, so that a noisy stretch of a
#   shared machine falls on all of them; the table gives medians (min-max). The sidecar has bin/remora's
#   defaults: 2 event loops (--threads to change) and the access log on, written to a file.
#   ready ms: from launch to the first 200 of /healthz/ready; CPU ms: the JVM's user+system time by then (steadier
#   than wall time when others load the machine); RSS/HWM: VmRSS and VmHWM after DURATION s at RATE rps.
#   Needs nginx, h2load and curl (installed like run.sh does); builds launcher/target/remora.jar if missing.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATE=1000
DURATION=10
REPEAT=5
THREADS=
ACCESS_LOG=true
SETS=()
while (($#)); do
  case "$1" in
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --no-access-log) ACCESS_LOG=false; shift ;;
    --set) SETS+=("$2"); shift 2 ;;
    --flags) SETS+=("$2|java|$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if ((${#SETS[@]} == 0)); then
  SETS=("bin/remora defaults|bin/remora|" "JDK 17, old defaults (C2)|17|$OLD_JAVA_OPTS")
fi
require_tools nginx h2load curl java
ensure_jar
# bin/remora builds what it needs on its first run (jar, ahead-of-time cache): not part of any measured start.
"$REPO_DIR/bin/remora" --version >/dev/null

java_of() { # java_of 17|25|PATH
  case $1 in
    17) echo /usr/lib/jvm/java-17-openjdk-amd64/bin/java ;;
    25) echo /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ;;
    *) echo "$1" ;;
  esac
}

start_ok_backend 18180

{
  cat <<YAML
apiVersion: remora.io/v1
kind: Sidecar
metadata: {name: footprint, namespace: bench}
spec:
YAML
  [[ -n $THREADS ]] && echo "  threads: $THREADS"
  cat <<YAML
  accessLog: $ACCESS_LOG
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
} > "$WORK/remora.yaml"

CONNS=10
PER_CONN=$(( (RATE + CONNS - 1) / CONNS ))
TICK=$(getconf CLK_TCK)
declare -A READY CPU RSS HWM SENT SAID

cpu_ms() { awk -v t="$TICK" '{sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t)}' "/proc/$1/stat"; }

run_once() { # run_once INDEX
  local label java flags envs jar pid start ready cpu sent rss
  IFS='|' read -r label java flags envs jar <<<"${SETS[$1]}"
  start=$(date +%s%N)
  if [[ $java == bin/remora ]]; then
    if [[ -n $flags ]]; then
      # shellcheck disable=SC2086
      env $envs REMORA_JAVA_OPTS="$flags" "$REPO_DIR/bin/remora" proxy --config "$WORK/remora.yaml" > "$WORK/remora.out" 2>&1 &
    else
      # shellcheck disable=SC2086
      (unset REMORA_JAVA_OPTS; exec env $envs "$REPO_DIR/bin/remora" proxy --config "$WORK/remora.yaml") > "$WORK/remora.out" 2>&1 &
    fi
  else
    # shellcheck disable=SC2086
    env $envs "$(java_of "$java")" $flags -jar "${jar:-$JAR}" proxy --config "$WORK/remora.yaml" > "$WORK/remora.out" 2>&1 &
  fi
  pid=$!
  PIDS+=("$pid")
  wait_ready "$pid" 18192
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  cpu=$(cpu_ms "$pid")
  sent=$(h2load --h1 -c "$CONNS" --rps "$PER_CONN" -D "$DURATION" http://127.0.0.1:18185/ \
         | awk '/^finished in/ {gsub(/,/, "", $4); print $4}')
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
  READY[$1]+="$ready " CPU[$1]+="$cpu " SENT[$1]+="${sent%%.*} " RSS[$1]+="$rss "
  HWM[$1]+="$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$pid/status") "
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # What the JVM itself said (a refused ahead-of-time cache, a warning): every line that is not one of our JSON lines.
  SAID[$1]=$(grep -v '^{' "$WORK/remora.out" | grep -v '^ *$' | head -1 | cut -c1-120 | tr '|' '/' || true)
  echo "round $2, $label: ready $ready ms, CPU $cpu ms, RSS $rss MB" >&2
}

for ((r = 1; r <= REPEAT; r++)); do
  for i in "${!SETS[@]}"; do run_once "$i" "$r"; done
done

spread() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {m=(NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%s (%s-%s)", m, a[1], a[NR]}'; }
med() { tr ' ' '\n' <<<"$1" | grep . | median; }

printf '| flag set | JDK | JVM flags | ready ms | CPU ms to ready | RSS MB at %s rps | HWM MB | rps sent | JVM said |\n' "$RATE"
printf '|---|---|---|---:|---:|---:|---:|---:|---|\n'
for i in "${!SETS[@]}"; do
  IFS='|' read -r label java flags envs jar <<<"${SETS[$i]}"
  [[ $java == bin/remora && -z $flags ]] && flags="(its defaults)"
  printf '| %s | %s | `%s` | %s | %s | %s | %s | %s | %s |\n' "$label" "$java" "${envs:+$envs }$flags" \
    "$(spread "${READY[$i]}")" "$(spread "${CPU[$i]}")" "$(spread "${RSS[$i]}")" "$(med "${HWM[$i]}")" \
    "$(med "${SENT[$i]}")" "${SAID[$i]:-}"
done
echo
echo "medians (min-max) of $REPEAT rounds; sidecar: threads ${THREADS:-default (2)}, accessLog $ACCESS_LOG;" \
     "load: h2load --h1 -c $CONNS --rps $PER_CONN -D $DURATION (≈ $RATE rps)"
