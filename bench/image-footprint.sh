#!/usr/bin/env bash
# The container image's sidecar: time to ready and resident memory, run as the image runs it (chrooted into an
# unpacked or staged image root, in mount and PID namespaces of its own, uid 1337, the host's network), for one or
# more images. bench/footprint.sh's figures for the runtime the image ships rather than the host's. Needs root.
#
# Usage: bench/image-footprint.sh [--rate RPS] [--duration S] [--repeat N] --set "LABEL|ROOT|ENTRYPOINT"...
#   ROOT: an image's root filesystem (launcher/target/image-rootfs after `mvn -pl launcher -am package`, or an
#   older stage-rootfs.sh's output); ENTRYPOINT: the image's entrypoint (e.g. /opt/remora/jre/bin/java
#   @/opt/remora/jvm.options -cp /opt/remora/remora.jar io.remora.launcher.Remora). The sidecar and the load are
#   footprint.sh's: 2 event loops, the access log on (to a file), one outbound listener to nginx, h2load at RATE.
#   Each set runs --repeat times (default 5), the sets in turn within each round; medians (min-max).
#   ready ms: launch to the first 200 of /healthz/ready; CPU ms: the JVM's user+system time by then; RSS/HWM: VmRSS
#   and VmHWM after DURATION s at RATE rps.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATE=1000
DURATION=10
REPEAT=5
SETS=()
while (($#)); do
  case "$1" in
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --set) SETS+=("$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
((${#SETS[@]})) || { echo "usage: $0 [--rate RPS] [--duration S] [--repeat N] --set \"LABEL|ROOT|ENTRYPOINT\"..." >&2; exit 2; }
(($(id -u) == 0)) || { echo "chroot needs root" >&2; exit 1; }
require_tools nginx h2load curl unshare chroot

start_ok_backend 18280
cat > "$WORK/footprint.yaml" <<YAML
apiVersion: remora.io/v1
kind: Sidecar
metadata: {name: footprint, namespace: bench}
spec:
  accessLog: true
  admin: 127.0.0.1:18290
  metrics: 127.0.0.1:18291
  health: 127.0.0.1:18292
  outbound:
    upstreams:
      - {listen: 127.0.0.1:18285, service: backend.bench}
---
apiVersion: remora.io/v1
kind: Service
metadata: {name: backend, namespace: bench}
spec:
  endpoints:
    - {address: 127.0.0.1:18280}
YAML

CONNS=10
TICK=$(getconf CLK_TCK)
declare -A READY CPU RSS HWM

one_round() { # one_round INDEX ROUND
  local label root entrypoint start outer jvm ready cpu rss hwm
  IFS='|' read -r label root entrypoint <<<"${SETS[$1]}"
  cp "$WORK/footprint.yaml" "$root/footprint.yaml"
  start=$(date +%s%N)
  # shellcheck disable=SC2086
  unshare --mount --pid --fork --kill-child --mount-proc="$root/proc" \
    sh -c 'mount --bind /dev "$0/dev" && exec chroot --userspec=1337:1337 "$0" "$@"' "$root" \
    $entrypoint proxy --config /footprint.yaml >"$WORK/remora.out" 2>&1 &
  outer=$!
  PIDS+=("$outer")
  wait_ready "$outer" 18292
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  jvm=$(pgrep -P "$outer")  # unshare's child: sh, then chroot, then the JVM, one process
  cpu=$(awk -v t="$TICK" '{sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t)}' "/proc/$jvm/stat")
  h2load --h1 -c "$CONNS" --rps $(( (RATE + CONNS - 1) / CONNS )) -D "$DURATION" http://127.0.0.1:18285/ >/dev/null
  rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$jvm/status")
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$jvm/status")
  READY[$1]+="$ready " CPU[$1]+="$cpu " RSS[$1]+="$rss " HWM[$1]+="$hwm "
  kill "$jvm"; wait "$outer" 2>/dev/null || true
  rm -f "$root/footprint.yaml"
  echo "round $2, $label: ready $ready ms, CPU $cpu ms, RSS $rss MB" >&2
}

for ((r = 1; r <= REPEAT; r++)); do
  for i in "${!SETS[@]}"; do one_round "$i" "$r"; done
done

range() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR]=$1} END {printf "(%s-%s)", a[1], a[NR]}'; }
printf '| image | ready ms | CPU ms to ready | RSS MB at %s rps | HWM MB |\n|---|---:|---:|---:|---:|\n' "$RATE"
for i in "${!SETS[@]}"; do
  printf '| %s |' "${SETS[$i]%%|*}"
  for v in "${READY[$i]}" "${CPU[$i]}" "${RSS[$i]}"; do printf ' %s %s |' "$(tr ' ' '\n' <<<"$v" | grep . | median)" "$(range "$v")"; done
  printf ' %s |\n' "$(tr ' ' '\n' <<<"${HWM[$i]}" | grep . | median)"
done
echo
echo "medians (min-max) of $REPEAT rounds; load: h2load --h1 -c $CONNS -D $DURATION at about $RATE rps"
