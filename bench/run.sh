#!/usr/bin/env bash
# Remora benchmark: direct backend vs HAProxy vs nginx vs Remora, measured in one run on one machine.
#
# HTTP/1.1 keep-alive with wrk and h2c (prior knowledge) with h2load, proxies at equal thread
# counts. For every scenario it records throughput, latency, the proxy's CPU time per request and
# its memory. See bench/README.md for how to read the figures. Not part of the test suite.
#
# Usage: bench/run.sh [--only direct,haproxy,nginx,remora,remora-uring] [--threads 1,2] [--duration N]
#                     [--repeat K] [--skip-h2] [--quick] [--no-install] [--no-build]
#        bench/run.sh --cleanup      stop processes left behind by a run that was killed hard
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
OUT_DIR=$BENCH_DIR/out
CONF_DIR=$BENCH_DIR/conf

# --- Settings (flags override; environment variables are the documented knobs) -------------------
DURATION=${DURATION:-10}                 # seconds per measured run
WARMUP=${WARMUP:-5}                      # at least this many seconds of discarded load before Remora is measured
REPEAT=${REPEAT:-1}                      # rounds (each proxy in turn); the median-rps run per scenario is reported
THREAD_LIST=1,2
ONLY=direct,haproxy,nginx,remora,remora-uring
SKIP_H2=0
INSTALL=1
BUILD=1
QUIET_PCT=${QUIET_PCT:-15}               # machine counts as idle below this busy percentage...
QUIET_WINDOW=${QUIET_WINDOW:-2}          # ...measured over this many seconds...
QUIET_MAX=${QUIET_MAX:-20}               # ...waiting at most this long before measuring anyway
OTHER_WARN_PCT=${OTHER_WARN_PCT:-25}     # flag a run when other processes used this much of a core
BACKEND_WORKERS=${BACKEND_WORKERS:-1}
READY_TIMEOUT=${READY_TIMEOUT:-10}
REMORA_READY_TIMEOUT=${REMORA_READY_TIMEOUT:-60}
REMORA_JAR_REL=launcher/target/remora.jar
# Empty (the default): Remora runs as a user runs it, through bin/remora (its JDK, flags and ahead-of-time cache).
# Set either to run `${REMORA_JAVA:-java} $REMORA_JAVA_OPTS -jar` instead (an A/B of JVMs or flags).
# REMORA_JAR: another build's remora.jar (an older commit's, for a before/after against the same peers), run that way.
REMORA_JAVA_OPTS=${REMORA_JAVA_OPTS:-}
REMORA_JAVA=${REMORA_JAVA:-}
REMORA_JAR=${REMORA_JAR:-}
[[ -z $REMORA_JAR || -n $REMORA_JAVA_OPTS$REMORA_JAVA ]] || REMORA_JAVA=java
[[ -z $REMORA_JAR ]] || REMORA_JAR_REL=$(realpath "$REMORA_JAR")

# Load generators: fixed so that runs stay comparable.
WRK_THREADS=2 WRK_CONNS=50
H2_THREADS=2 H2_CLIENTS=10 H2_STREAMS=10

# Ports (all on 127.0.0.1).
BACKEND_H1=18080 BACKEND_H2=18090
HAPROXY_H1=18101 HAPROXY_H2=18102
REMORA_PORT=18110
NGINX_H1=18121 NGINX_H2=18122
REMORA_ADMIN=18150 REMORA_METRICS=18151 REMORA_HEALTH=18152
ALL_PORTS="$BACKEND_H1 $BACKEND_H2 $HAPROXY_H1 $HAPROXY_H2 $REMORA_PORT $NGINX_H1 $NGINX_H2 $REMORA_ADMIN $REMORA_METRICS $REMORA_HEALTH"
HZ=$(getconf CLK_TCK)
# shellcheck source=bench/jit.sh
source "$BENCH_DIR/jit.sh"
# Warm-up loads for warm_until_compiled: the measured load, on WARM_URL, for SECONDS.
warm_h1() { wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${1}s" "$WARM_URL"; }
warm_h2() { h2load -t"$H2_THREADS" -c"$H2_CLIENTS" -m"$H2_STREAMS" -D "$1" "$WARM_URL"; }

log()  { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[bench %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
  cat <<EOF
Flags:
  --only LIST      scenarios to run, from direct,haproxy,nginx,remora,remora-uring (default: all;
                   remora-uring: Remora with REMORA_TRANSPORT=io-uring, not measured where io_uring is refused)
  --threads LIST   proxy thread counts (default: 1,2)
  --duration N     seconds per measured run (default: 10)
  --repeat K       K rounds, each proxy started, measured and stopped in turn in each; the median-rps round is reported (default 1; 3 is better)
  --skip-h2        HTTP/1.1 only
  --quick          3 s runs and 3 s warm-up, for smoke testing
  --no-install     do not apt-get install missing tools
  --no-build       do not build the project when $REMORA_JAR_REL is missing
  --cleanup        stop processes recorded in bench/out/run-*/pids by an earlier run, then exit
Environment: DURATION WARMUP REPEAT QUIET_PCT QUIET_MAX BACKEND_WORKERS REMORA_JAVA_OPTS REMORA_JAVA REMORA_JAR
             REMORA_READY_TIMEOUT (see bench/README.md)
EOF
}

is_uint() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# --- Process bookkeeping ---------------------------------------------------------------------------
RUN_DIR=""

# stop_pid NAME: TERM the process recorded in pids/NAME.pid, escalate to KILL after 10 s.
stop_pid() {
  local name=$1 file="$RUN_DIR/pids/$1.pid" pid children i
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    children=$(pgrep -P "$pid" || true)
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      warn "$name (pid $pid) did not stop after 10 s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for pid in $children; do
      alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    done
  fi
  rm -f "$file"
}

# alive PID: running and not a zombie.
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $st && $st != Z ]]
}

cleanup() {
  local rc=$? f
  trap - EXIT INT TERM HUP
  # The load generator first, then the proxies, the backend last.
  stop_pid loadgen; stop_pid build
  stop_pid remora; stop_pid remora-uring; stop_pid haproxy; stop_pid nginx
  if [[ -n $RUN_DIR && -d $RUN_DIR/pids ]]; then
    for f in "$RUN_DIR"/pids/*.pid; do
      [[ -e $f ]] || continue
      stop_pid "$(basename "$f" .pid)"
    done
  fi
  exit "$rc"
}

on_signal() { warn "interrupted; stopping everything this run started"; exit 130; }

# --cleanup: processes an earlier run recorded but could not stop (e.g. killed with SIGKILL).
cleanup_stale() {
  local f pid cmd n=0
  for f in "$OUT_DIR"/run-*/pids/*.pid; do
    [[ -e $f ]] || continue
    pid=$(<"$f")
    if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]]; then
      cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
      # Only processes this harness started: their command line names a file under bench/out.
      if [[ $cmd == *"$OUT_DIR"* || $cmd == *"bench/out/remora-"* ]]; then
        log "stopping pid $pid: $cmd"
        kill -TERM "$pid" 2>/dev/null || true
        n=$((n + 1))
      fi
    fi
    rm -f "$f"
  done
  log "stopped $n stale process(es)"
}

# --- Measurement helpers ---------------------------------------------------------------------------

# busy_pct SECONDS: machine-wide busy CPU percentage (user+nice+system+irq+softirq+steal).
busy_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  sleep "$1"
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); d = y[2] - x[2];
    printf "%d\n", (d > 0 ? 100 * (y[1] - x[1]) / d : 0) + 0.5 }'
}

# wait_quiet: wait (bounded) until the machine is idle; sets QUIET_NOTE when it never got there.
QUIET_NOTE=""
wait_quiet() {
  local start=$SECONDS pct
  QUIET_NOTE=""
  while :; do
    pct=$(busy_pct "$QUIET_WINDOW")
    ((pct < QUIET_PCT)) && return 0
    if ((SECONDS - start >= QUIET_MAX)); then
      QUIET_NOTE="NOT QUIET: machine ${pct}% busy before the run"
      warn "machine still ${pct}% busy after ${QUIET_MAX} s; measuring anyway"
      return 0
    fi
    log "waiting for an idle machine (${pct}% busy)"
  done
}

machine_busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }

# proc_ticks PID...: utime+stime of the given processes (all their threads), in clock ticks.
proc_ticks() {
  local pid sum=0 t
  for pid in "$@"; do
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}

# proc_mem PID...: "VmRSS_kB VmHWM_kB" summed over the given processes.
proc_mem() {
  local pid files=()
  for pid in "$@"; do [[ -r /proc/$pid/status ]] && files+=("/proc/$pid/status"); done
  ((${#files[@]})) || { echo "0 0"; return; }
  awk '/^VmRSS:/{r += $2} /^VmHWM:/{h += $2} END {print r + 0, h + 0}' "${files[@]}"
}

# children_cpu VAR: CPU seconds of this shell's reaped children (the load generator), from `times`.
# Must not run in a command substitution: `times` there would describe the substitution's subshell.
children_cpu() {
  local f="$RUN_DIR/.times.$BASHPID"
  times >"$f"
  printf -v "$1" '%s' "$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] } print s }' "$f")"
  rm -f "$f"
}

# pids_of MAINPID: the process and its direct children (nginx master + workers).
pids_of() { echo "$1" $(pgrep -P "$1" || true); }

now() { date +%s.%N; }

# run_waited NAME OUTFILE CMD...: run CMD in the background and wait for it, recording its pid as
# pids/NAME.pid. A trapped signal interrupts `wait` immediately (a foreground child that handles
# SIGINT itself, as wrk does, would otherwise keep bash from running the trap). Returns CMD's status.
run_waited() {
  local name=$1 out=$2 pid rc=0; shift 2
  "$@" >"$out" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$RUN_DIR/pids/$name.pid"
  wait "$pid" || rc=$?
  rm -f "$RUN_DIR/pids/$name.pid"
  return "$rc"
}

# parse_wrk FILE -> "rps p50 p99 mean sd max requests errors"
parse_wrk() {
  awk '
    function ms(v,  n) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n;
                         if (v ~ /m$/) return n * 60000; if (v ~ /s$/) return n * 1000; return n }
    $1 == "Latency" && $2 != "Distribution" { mean = ms($2); sd = ms($3); max = ms($4) }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { reqs = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { err = err "non-2xx=" $NF "," }
    /Socket errors:/ { gsub(/,/, ""); for (i = 3; i < NF; i += 2) if ($(i + 1) > 0) err = err $i "=" $(i + 1) "," }
    END { if (err == "") err = "-"; else sub(/,$/, "", err)
          if (rps == "") print "FAIL"; else printf "%s %s %s %s %s %s %s %s\n", rps, p50, p99, mean, sd, max, reqs, err }
  ' "$1"
}

# parse_h2load FILE -> "rps p50 p99 mean sd max requests errors" (h2load gives no percentiles)
parse_h2load() {
  awk '
    function ms(v,  n) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n;
                         if (v ~ /s$/) return n * 1000; return n }
    /^finished in/ { rps = $4 }
    /^requests:/ { reqs = $6; if ($10 > 0) err = err "failed=" $10 ","; if ($12 > 0) err = err "errored=" $12 ",";
                   if ($14 > 0) err = err "timeout=" $14 "," }
    /^status codes:/ { bad = $7 + $9; if (bad > 0) err = err "4xx/5xx=" bad "," }
    /^time for request:/ { mean = ms($6); sd = ms($7); max = ms($5) }
    END { if (err == "") err = "-"; else sub(/,$/, "", err)
          if (rps == "" || reqs == "") print "FAIL"; else printf "%s - - %s %s %s %s %s\n", rps, mean, sd, max, reqs, err }
  ' "$1"
}

# --- Results ---------------------------------------------------------------------------------------
# results.tsv columns: order proto scenario threads rps p50 p99 mean sd max requests cpu_us rss_kb hwm_kb notes
RESULTS=""
add_row() { local IFS=$'\t'; echo "$*" >>"$RESULTS"; }

# order key so the table groups by protocol, then thread count, then peer
order_key() {
  local proto=$1 scen=$2 thr=$3 p=0 s
  [[ $proto == h2c ]] && p=1
  case $scen in direct) s=0 ;; haproxy) s=1 ;; nginx) s=2 ;; remora) s=3 ;; remora-uring) s=4 ;; *) s=9 ;; esac
  [[ $thr == - ]] && thr=0
  printf '%d%02d%d' "$p" "$thr" "$s"
}

not_measured() { # proto scenario threads reason
  add_row "$(order_key "$1" "$2" "$3")" "$1" "$2" "$3" - - - - - - - - - - "$2: not measured ($4)"
  log "$2 ($1, threads $3): not measured ($4)"
}

# measure_once PROTO URL RAWFILE PIDS...: sets M_LINE to one tab-separated partial row
#   "rps p50 p99 mean sd max requests cpu_us rss hwm notes", or "FAIL<tab>reason".
# Runs in the main shell (never in a command substitution) so that Ctrl-C interrupts `wait` at once
# and the EXIT trap stops everything.
# The first PIDS are the measured proxy; BACKEND_PIDS are subtracted from "other" load separately.
M_LINE=""
measure_once() {
  local proto=$1 url=$2 raw=$3; shift 3
  local pids=("$@") t0 t1 p0 p1 b0 b1 m0 m1 c0 c1 parsed rc=0 notes=()
  local rps p50 p99 mean sd max reqs err cpu_us rss hwm other
  wait_quiet
  [[ -n $QUIET_NOTE ]] && notes+=("$QUIET_NOTE")

  p0=$(proc_ticks "${pids[@]}"); b0=$(proc_ticks "${BACKEND_PIDS[@]}"); m0=$(machine_busy_ticks)
  children_cpu c0; t0=$(now)
  if [[ $proto == h1 ]]; then
    run_waited loadgen "$raw" wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${DURATION}s" --latency "$url" || rc=$?
  else
    run_waited loadgen "$raw" h2load -t"$H2_THREADS" -c"$H2_CLIENTS" -m"$H2_STREAMS" -D "$DURATION" "$url" || rc=$?
  fi
  t1=$(now); children_cpu c1; m1=$(machine_busy_ticks)
  p1=$(proc_ticks "${pids[@]}"); b1=$(proc_ticks "${BACKEND_PIDS[@]}")
  read -r rss hwm < <(proc_mem "${pids[@]}")

  if [[ $proto == h1 ]]; then parsed=$(parse_wrk "$raw"); else parsed=$(parse_h2load "$raw"); fi
  if [[ $parsed == FAIL ]]; then
    M_LINE=$(printf 'FAIL\tload generator exited %s: %s' "$rc" "$(tail -n 2 "$raw" | tr '\n\t' '  ')")
    return
  fi
  read -r rps p50 p99 mean sd max reqs err <<<"$parsed"
  [[ $err != - ]] && notes+=("errors: $err")

  # Proxy CPU per request: utime+stime delta of all its processes/threads over completed requests.
  cpu_us=$(awk -v d=$((p1 - p0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.2f", (n > 0 ? d * 1e6 / hz / n : 0) }')
  # CPU used during the run by anything other than the proxy, the backend and the load generator.
  local bdelta=$((b1 - b0))
  [[ ${pids[0]} == "${BACKEND_PIDS[0]}" ]] && bdelta=0
  other=$(awk -v m=$((m1 - m0)) -v p=$((p1 - p0)) -v b="$bdelta" -v c0="$c0" -v c1="$c1" -v hz="$HZ" \
    -v t0="$t0" -v t1="$t1" 'BEGIN { o = (m - p - b) / hz - (c1 - c0); if (o < 0) o = 0;
      printf "%d", 100 * o / (t1 - t0) + 0.5 }')
  if ((other >= OTHER_WARN_PCT)); then
    notes+=("other load ${other}% of a core during run")
    warn "other processes used ${other}% of a core during this run"
  fi
  local joined="" n
  for n in "${notes[@]}"; do joined+="${joined:+; }$n"; done
  M_LINE=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$rps" "$p50" "$p99" "$mean" "$sd" "$max" "$reqs" \
    "$cpu_us" "$rss" "$hwm" "$joined")
}

# measure PROTO SCENARIO THREADS URL EXTRA_NOTE PIDS...: one run of this round, kept for record_rows. The rounds
# interleave the proxies in time (each round starts, measures and stops every proxy in turn), so a machine whose speed
# drifts between minutes slows all of them alike instead of whichever ran last.
declare -A RUNS=() META=() FAILED=()
TAGS=()
measure() {
  local proto=$1 scen=$2 thr=$3 url=$4 extra=$5; shift 5
  local tag="$scen-$proto-t$thr" line k
  [[ -n ${META[$tag]+x} ]] || TAGS+=("$tag")
  META[$tag]="$proto"$'\t'"$scen"$'\t'"$thr"$'\t'"$extra"
  [[ -z ${FAILED[$tag]+x} ]] || return 0
  k=$(( $(grep -c . <<<"${RUNS[$tag]:-}" || true) + 1 ))
  log "measuring $scen $proto threads=$thr ($k/$REPEAT, ${DURATION}s) -> $url"
  measure_once "$proto" "$url" "$RUN_DIR/raw/$tag-$k.txt" "$@"
  line=$M_LINE
  if [[ $line == FAIL* ]]; then
    FAILED[$tag]=${line#FAIL$'\t'}
    return 0
  fi
  log "  -> $(cut -f1 <<<"$line") req/s"
  RUNS[$tag]+="$line"$'\n'
}

# not_measured_later PROTO SCENARIO THREADS REASON: a scenario that could not run this round.
not_measured_later() {
  local tag="$2-$1-t$3"
  [[ -n ${META[$tag]+x} ]] || TAGS+=("$tag")
  META[$tag]="$1"$'\t'"$2"$'\t'"$3"$'\t'
  FAILED[$tag]=$4
}

# record_rows: one row per scenario, its median-rps run, noting the spread when there were several.
record_rows() {
  local tag proto scen thr extra sorted n med note lo hi noisy
  for tag in "${TAGS[@]}"; do
    IFS=$'\t' read -r proto scen thr extra <<<"${META[$tag]}"
    if [[ -n ${FAILED[$tag]+x} ]]; then
      not_measured "$proto" "$scen" "$thr" "${FAILED[$tag]}"
      continue
    fi
    sorted=$(printf '%s' "${RUNS[$tag]}" | sort -t$'\t' -k1,1g)
    n=$(grep -c . <<<"$sorted" || true)
    med=$(sed -n "$(((n + 1) / 2))p" <<<"$sorted")
    note=$(cut -f11 <<<"$med")
    if ((n > 1)); then
      lo=$(head -n1 <<<"$sorted" | cut -f1); hi=$(tail -n1 <<<"$sorted" | cut -f1)
      noisy=$(cut -f11 <<<"$sorted" | grep -c -e 'NOT QUIET' -e 'other load' || true)
      note="median of $n rounds (rps ${lo%.*}-${hi%.*}, $noisy flagged)${note:+; $note}"
    fi
    [[ -n $extra ]] && note="$extra${note:+; $note}"
    add_row "$(order_key "$proto" "$scen" "$thr")" "$proto" "$scen" "$thr" "$(cut -f1-10 <<<"$med")" "$note"
  done
}

# check_http PROTO PORT -> empty when the port answers 200 "ok", else a reason
check_http() {
  local proto=$1 port=$2 out code ver body
  local f="$RUN_DIR/.probe"
  if [[ $proto == h1 ]]; then
    out=$(curl -s -o "$f" -w '%{http_code} %{http_version}' --max-time 5 "http://127.0.0.1:$port/" 2>&1) || true
  else
    out=$(curl -s -o "$f" -w '%{http_code} %{http_version}' --max-time 5 --http2-prior-knowledge \
      "http://127.0.0.1:$port/" 2>&1) || true
  fi
  read -r code ver <<<"$out"
  body=$(head -c 64 "$f" 2>/dev/null | tr -d '\r\n' || true)
  if [[ -z $code || $code == 000 ]]; then echo "no $proto answer on :$port"; return; fi
  if [[ $code != 200 ]]; then echo "$proto probe on :$port answered HTTP $code"; return; fi
  if [[ $proto == h2c && $ver != 2 ]]; then echo "h2c probe on :$port answered HTTP/$ver"; return; fi
  [[ $body == ok ]] || echo "$proto probe on :$port returned body '$body' instead of 'ok'"
}

# exit_reason NAME PID: why a started server is gone (runs in this shell so `wait` sees the child).
exit_reason() {
  local rc=0
  wait "$2" 2>/dev/null || rc=$?
  READY_FAIL="exited with status $rc: $(grep -v '^[[:space:]]*$' "$RUN_DIR/logs/$1.log" 2>/dev/null | tail -n 1 | cut -c1-160)"
}

# wait_ready NAME PID PORT TIMEOUT: sets READY_FAIL to a reason unless the port answers 200 "ok".
READY_FAIL=""
wait_ready() {
  local name=$1 pid=$2 port=$3 timeout=$4 i reason=""
  READY_FAIL=""
  for ((i = 0; i < timeout * 10; i++)); do
    if ! alive "$pid"; then exit_reason "$name" "$pid"; return; fi
    reason=$(check_http h1 "$port")
    if [[ -z $reason ]]; then return; fi
    sleep 0.1
  done
  READY_FAIL="not ready after ${timeout}s ($reason)"
}

# render CONF_TEMPLATE OUTPUT key=value...
render() {
  local in=$1 out=$2 kv args=(); shift 2
  for kv in "$@"; do args+=(-e "s#@${kv%%=*}@#${kv#*=}#g"); done
  sed "${args[@]}" "$in" >"$out"
}

nginx_prefix() { mkdir -p "$1"/{logs,tmp}; }

# --- Servers ---------------------------------------------------------------------------------------
BACKEND_PIDS=()
start_backend() {
  local prefix="$RUN_DIR/nginx-backend" conf="$RUN_DIR/nginx-backend.conf" reason pid
  nginx_prefix "$prefix"
  render "$CONF_DIR/backend-nginx.conf.in" "$conf" "PREFIX=$prefix" "WORKERS=$BACKEND_WORKERS"
  nginx -e "$prefix/logs/error.log" -p "$prefix" -c "$conf" -g 'daemon off;' >"$RUN_DIR/logs/backend.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$RUN_DIR/pids/backend.pid"
  wait_ready backend "$pid" "$BACKEND_H1" "$READY_TIMEOUT"
  [[ -z $READY_FAIL ]] || die "backend nginx did not start: $READY_FAIL (config $conf, log $prefix/logs/error.log)"
  if ((!SKIP_H2)); then
    reason=$(check_http h2c "$BACKEND_H2")
    [[ -z $reason ]] || die "backend nginx h2c: $reason"
  fi
  read -ra BACKEND_PIDS <<<"$(pids_of "$pid")"
  log "backend nginx ready (pid $pid, $BACKEND_WORKERS worker(s)) on :$BACKEND_H1 (h1) :$BACKEND_H2 (h2c)"
}

# start_proxy NAME THREADS -> sets PROXY_PID/PROXY_PIDS or PROXY_FAIL
PROXY_PID="" PROXY_PIDS=() PROXY_FAIL=""
start_proxy() {
  local name=$1 thr=$2 conf prefix port pid
  PROXY_PID="" PROXY_PIDS=() PROXY_FAIL=""
  case $name in
    haproxy)
      conf="$RUN_DIR/haproxy-$thr.cfg" port=$HAPROXY_H1
      render "$CONF_DIR/haproxy.cfg.in" "$conf" "THREADS=$thr"
      haproxy -db -f "$conf" >"$RUN_DIR/logs/haproxy.log" 2>&1 9>&- &
      ;;
    nginx)
      prefix="$RUN_DIR/nginx-proxy-$thr" conf="$RUN_DIR/nginx-proxy-$thr.conf" port=$NGINX_H1
      nginx_prefix "$prefix"
      render "$CONF_DIR/nginx-proxy.conf.in" "$conf" "PREFIX=$prefix" "THREADS=$thr"
      nginx -e "$prefix/logs/error.log" -p "$prefix" -c "$conf" -g 'daemon off;' >"$RUN_DIR/logs/nginx.log" 2>&1 9>&- &
      ;;
    remora | remora-uring)
      [[ -n $REMORA_UNAVAILABLE ]] && { PROXY_FAIL=$REMORA_UNAVAILABLE; return; }
      conf="$OUT_DIR/remora-$thr.yaml" port=$REMORA_PORT
      render "$CONF_DIR/remora.yaml.in" "$conf" "THREADS=$thr"
      # The one difference between the two Remora scenarios: the transport the Sidecar asks for.
      local transport=auto
      [[ $name == remora-uring ]] && transport=io-uring
      if [[ -z $REMORA_JAVA_OPTS$REMORA_JAVA ]]; then
        (cd "$REPO_DIR" && unset REMORA_JAVA REMORA_JAVA_OPTS && export REMORA_TRANSPORT=$transport \
          && exec bin/remora proxy --config "bench/out/remora-$thr.yaml") \
          >"$RUN_DIR/logs/$name.log" 2>&1 9>&- &
      else
        local opts
        read -ra opts <<<"$REMORA_JAVA_OPTS"
        # The variables are the benchmark's, not the sidecar's (an older build refuses REMORA_* it does not know).
        # An older build without the transport setting refuses REMORA_TRANSPORT: only the io_uring scenario sets it.
        local env_transport=(-u REMORA_TRANSPORT)
        [[ $transport == auto ]] || env_transport=("REMORA_TRANSPORT=$transport")
        (cd "$REPO_DIR" && exec env -u REMORA_JAVA -u REMORA_JAVA_OPTS -u REMORA_JAR "${env_transport[@]}" \
           "${REMORA_JAVA:-java}" "${opts[@]}" -jar "$REMORA_JAR_REL" proxy --config "bench/out/remora-$thr.yaml") \
          >"$RUN_DIR/logs/$name.log" 2>&1 9>&- &
      fi
      ;;
  esac
  pid=$!
  echo "$pid" >"$RUN_DIR/pids/$name.pid"
  if [[ $name == remora* ]]; then
    wait_remora "$name" "$pid" "$REMORA_READY_TIMEOUT"
    # The io_uring scenario measures io_uring or nothing: a fallback to epoll would be the other row again.
    if [[ -z $READY_FAIL && $name == remora-uring ]] && ! grep -q '"event":"proxy_ready".*"transport":"io_uring"' \
        "$RUN_DIR/logs/$name.log"; then
      READY_FAIL="io_uring refused here: $(grep -o '"reason":"[^"]*"' "$RUN_DIR/logs/$name.log" | head -1 | cut -c1-160)"
    fi
  else
    wait_ready "$name" "$pid" "$port" "$READY_TIMEOUT"
  fi
  PROXY_FAIL=$READY_FAIL
  if [[ -n $PROXY_FAIL ]]; then
    cp "$RUN_DIR/logs/$name.log" "$RUN_DIR/logs/$name-$thr-failed.log" 2>/dev/null || true
    stop_pid "$name"
    return
  fi
  PROXY_PID=$pid
  # The JVM's own command line (bin/remora chose the JDK and the flags): the report names it.
  [[ $name == remora* ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//' >"$RUN_DIR/remora-cmdline"
  read -ra PROXY_PIDS <<<"$(pids_of "$pid")"
  [[ $name == nginx ]] || PROXY_PIDS=("$pid")
  log "$name ready (pid ${PROXY_PIDS[*]}, threads $thr)"
}

# wait_remora NAME PID TIMEOUT: sets READY_FAIL unless /healthz/ready answers 200 and the listener proxies.
wait_remora() {
  local name=$1 pid=$2 timeout=$3 i code=""
  READY_FAIL=""
  for ((i = 0; i < timeout * 5; i++)); do
    if ! alive "$pid"; then exit_reason "$name" "$pid"; return; fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$REMORA_HEALTH/healthz/ready" || true)
    if [[ $code == 200 ]]; then
      READY_FAIL=$(check_http h1 "$REMORA_PORT")
      return
    fi
    sleep 0.2
  done
  READY_FAIL="/healthz/ready on :$REMORA_HEALTH not 200 after ${timeout}s (last answer: $([[ ${code:-000} == 000 ]] && echo none || echo "HTTP $code"))"
}

run_proxy() { # NAME THREADS
  local name=$1 thr=$2 h1port h2port reason extra=""
  case $name in
    haproxy) h1port=$HAPROXY_H1 h2port=$HAPROXY_H2 ;;
    nginx) h1port=$NGINX_H1 h2port=$NGINX_H2 ;;
    remora | remora-uring) h1port=$REMORA_PORT h2port=$REMORA_PORT ;;
  esac
  start_proxy "$name" "$thr"
  if [[ -n $PROXY_FAIL ]]; then
    not_measured_later h1 "$name" "$thr" "$PROXY_FAIL"
    ((SKIP_H2)) || not_measured_later h2c "$name" "$thr" "$PROXY_FAIL"
    return
  fi
  local h2_reason=""
  ((SKIP_H2)) || h2_reason=$(check_http h2c "$h2port")
  if [[ $name == remora* ]]; then
    # JIT warm-up: the JVM runs interpreted code first and compiles it under load, so discarded load precedes
    # measuring, per protocol, until its compiler threads are quiet (bench/jit.sh), WARMUP s at least.
    WARM_URL="http://127.0.0.1:$h1port/"
    warm_until_compiled "$WARMUP" warm_h1 "${PROXY_PIDS[@]}"
    extra="after ${WARMED_S}s h1$( ((JIT_QUIET)) || echo " (JIT still busy)")"
    if ((!SKIP_H2)) && [[ -z $h2_reason ]]; then
      WARM_URL="http://127.0.0.1:$h2port/"
      warm_until_compiled "$WARMUP" warm_h2 "${PROXY_PIDS[@]}"
      extra+=", ${WARMED_S}s h2c$( ((JIT_QUIET)) || echo " (JIT still busy)")"
    fi
    extra+=" warm-up"
    log "$name $extra"
  fi
  measure h1 "$name" "$thr" "http://127.0.0.1:$h1port/" "$extra" "${PROXY_PIDS[@]}"
  if ((!SKIP_H2)); then
    if [[ -n $h2_reason ]]; then
      not_measured_later h2c "$name" "$thr" "$h2_reason"
    else
      measure h2c "$name" "$thr" "http://127.0.0.1:$h2port/" "$extra" "${PROXY_PIDS[@]}"
    fi
  fi
  stop_pid "$name"
}

# --- Report ----------------------------------------------------------------------------------------
# render_table: markdown table with padded columns (readable on a terminal as well).
render_table() {
  sort -t$'\t' -k1,1n "$RESULTS" | awk -F'\t' '
    function grp(x,  s, r) { s = sprintf("%d", x + 0.5); r = "";
      while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } return s r }
    function f2(x) { return (x == "-" || x == "") ? "-" : sprintf("%.2f", x) }
    function mb(x) { return (x == "-" || x == "") ? "-" : sprintf("%.1f", x / 1024) }
    { proto[NR] = $2; scen[NR] = $3; thr[NR] = $4; rps[NR] = $5; p50[NR] = $6; p99[NR] = $7
      mean[NR] = $8; sd[NR] = $9; max[NR] = $10; cpu[NR] = $12; rss[NR] = $13; hwm[NR] = $14; note[NR] = $15
      if ($3 == "direct" && $5 != "-") direct[$2] = $5 }
    END {
      h[1] = "scenario"; h[2] = "proto"; h[3] = "threads"; h[4] = "rps"; h[5] = "p50 ms"; h[6] = "p99 ms"
      h[7] = "mean/sd/max ms"; h[8] = "ratio"; h[9] = "CPU us/req"; h[10] = "RSS MB"; h[11] = "HWM MB"; h[12] = "notes"
      nc = 12
      for (i = 1; i <= NR; i++) {
        c[i, 1] = scen[i]; c[i, 2] = proto[i]; c[i, 3] = thr[i]
        if (rps[i] == "-") { for (j = 4; j <= 11; j++) c[i, j] = "-" }
        else {
          c[i, 4] = grp(rps[i]); c[i, 5] = f2(p50[i]); c[i, 6] = f2(p99[i])
          c[i, 7] = f2(mean[i]) "/" f2(sd[i]) "/" f2(max[i])
          c[i, 8] = (proto[i] in direct) ? sprintf("%.2f", rps[i] / direct[proto[i]]) : "-"
          c[i, 9] = sprintf("%.1f", cpu[i]); c[i, 10] = mb(rss[i]); c[i, 11] = mb(hwm[i])
        }
        c[i, 12] = (note[i] == "" ? "" : note[i])
      }
      for (j = 1; j <= nc; j++) { w[j] = length(h[j]); for (i = 1; i <= NR; i++) if (length(c[i, j]) > w[j]) w[j] = length(c[i, j]) }
      line = "|"; sep = "|"
      for (j = 1; j <= nc; j++) { line = line " " sprintf("%-" w[j] "s", h[j]) " |"; d = ""; for (k = 0; k < w[j]; k++) d = d "-"
        sep = sep "-" d ((j >= 4 && j <= 11) ? ":" : "-") "|" }
      print line; print sep
      for (i = 1; i <= NR; i++) { line = "|"
        for (j = 1; j <= nc; j++) line = line " " sprintf((j >= 4 && j <= 11) ? "%" w[j] "s" : "%-" w[j] "s", c[i, j]) " |"
        print line }
    }'
}

machine_info() {
  echo "- machine: nproc=$(nproc), kernel $(uname -r), CPU:$(awk -F: '/^model name/{print $2; exit}' /proc/cpuinfo), memory $(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- java: $( (java -version 2>&1 || echo 'not installed') | head -n 1)"
  echo "- peers: $(haproxy -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3); load: wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null), $(h2load --version 2>/dev/null | head -n 1)"
}

# --- Main ------------------------------------------------------------------------------------------
main() {
  while (($#)); do
    case $1 in
      --only) ONLY=${2:?--only needs a list}; shift 2 ;;
      --threads) THREAD_LIST=${2:?--threads needs a list}; shift 2 ;;
      --duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
      --repeat) REPEAT=${2:?--repeat needs a count}; shift 2 ;;
      --skip-h2) SKIP_H2=1; shift ;;
      --quick) DURATION=3 WARMUP=3; shift ;;
      --no-install) INSTALL=0; shift ;;
      --no-build) BUILD=0; shift ;;
      --cleanup) cleanup_stale; exit 0 ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  is_uint "$DURATION" || die "--duration: '$DURATION' (expected a whole number of seconds > 0)"
  is_uint "$WARMUP" || die "WARMUP: '$WARMUP' (expected a whole number of seconds > 0)"
  is_uint "$REPEAT" || die "--repeat: '$REPEAT' (expected a count > 0)"
  is_uint "$BACKEND_WORKERS" || die "BACKEND_WORKERS: '$BACKEND_WORKERS' (expected > 0)"
  local t s threads=() want_direct=0 want=()
  IFS=, read -ra threads <<<"$THREAD_LIST"
  ((${#threads[@]})) || die "--threads: empty list"
  for t in "${threads[@]}"; do is_uint "$t" || die "--threads: '$t' (expected numbers > 0, e.g. 1,2)"; done
  IFS=, read -ra want <<<"$ONLY"
  for s in "${want[@]}"; do
    case $s in direct | haproxy | nginx | remora | remora-uring) ;;
      *) die "--only: '$s' (expected some of direct,haproxy,nginx,remora,remora-uring)" ;;
    esac
  done
  wants() { [[ ",$ONLY," == *",$1,"* ]]; }
  if wants direct; then want_direct=1; fi

  mkdir -p "$OUT_DIR"
  exec 9>"$OUT_DIR/.lock"
  flock -n 9 || die "another bench/run.sh is running (lock $OUT_DIR/.lock)"

  # Tools.
  local missing=() tool
  for tool in haproxy nginx wrk h2load curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if ((${#missing[@]})); then
    ((INSTALL)) || die "missing tools: ${missing[*]} (install: apt-get install -y --no-install-recommends haproxy nginx wrk nghttp2-client curl)"
    [[ $(id -u) == 0 ]] || die "missing tools: ${missing[*]}; run as root or install haproxy nginx wrk nghttp2-client"
    log "installing missing tools: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends haproxy nginx wrk nghttp2-client curl >&2 || die "apt-get install failed"
  fi

  local p busy=()
  for p in $ALL_PORTS; do
    [[ -n $(ss -Hltn "sport = :$p" 2>/dev/null) ]] && busy+=("$p")
  done
  ((${#busy[@]} == 0)) || die "ports already in use on this machine: ${busy[*]} (a previous run? try bench/run.sh --cleanup; ss -ltnp shows the owner)"

  local stamp
  stamp=$(date +%Y-%m-%d-%H%M%S)
  RUN_DIR="$OUT_DIR/run-$stamp"
  mkdir -p "$RUN_DIR"/{pids,logs,raw}
  RESULTS="$RUN_DIR/results.tsv"
  : >"$RESULTS"
  trap cleanup EXIT
  trap on_signal INT TERM HUP

  log "run $stamp: duration ${DURATION}s, repeat $REPEAT, threads ${threads[*]}, scenarios $ONLY$( ((SKIP_H2)) && echo ', h1 only')"

  # Remora: build when the jar is missing; every failure becomes a "not measured" reason.
  REMORA_UNAVAILABLE=""
  if wants remora || wants remora-uring; then
    if ! command -v java >/dev/null; then
      REMORA_UNAVAILABLE="java not installed"
    elif [[ -n $REMORA_JAR ]]; then
      [[ -f $REMORA_JAR_REL ]] || REMORA_UNAVAILABLE="REMORA_JAR $REMORA_JAR missing"
    elif [[ ! -f $REPO_DIR/$REMORA_JAR_REL ]]; then
      if ((BUILD)) && command -v mvn >/dev/null; then
        log "building Remora ($REMORA_JAR_REL missing): mvn -q -B -DskipTests package"
        if ! run_waited build "$RUN_DIR/logs/build.log" mvn -q -B -f "$REPO_DIR/pom.xml" -DskipTests package; then
          REMORA_UNAVAILABLE="build failed, see ${RUN_DIR#"$REPO_DIR"/}/logs/build.log: $(grep -m1 -E '^\[ERROR\]' "$RUN_DIR/logs/build.log" | cut -c1-120)"
        fi
      fi
      [[ -n $REMORA_UNAVAILABLE || -f $REPO_DIR/$REMORA_JAR_REL ]] || REMORA_UNAVAILABLE="$REMORA_JAR_REL missing"
    fi
    if [[ -z $REMORA_UNAVAILABLE && -z $REMORA_JAVA_OPTS$REMORA_JAVA ]]; then
      # bin/remora makes its ahead-of-time cache on its first run after a build: here, not in the measured start.
      (cd "$REPO_DIR" && bin/remora --version) >"$RUN_DIR/logs/remora-cache.log" 2>&1 \
        || REMORA_UNAVAILABLE="bin/remora --version failed: $(tail -1 "$RUN_DIR/logs/remora-cache.log" | cut -c1-120)"
    fi
  fi

  start_backend

  local round
  if ((want_direct)); then
    for ((round = 1; round <= REPEAT; round++)); do
      measure h1 direct - "http://127.0.0.1:$BACKEND_H1/" "backend figures" "${BACKEND_PIDS[@]}"
      ((SKIP_H2)) || measure h2c direct - "http://127.0.0.1:$BACKEND_H2/" "backend figures" "${BACKEND_PIDS[@]}"
    done
  fi
  # Per thread count, REPEAT rounds; in each every proxy is started, (warmed up,) measured and stopped in turn.
  for t in "${threads[@]}"; do
    for ((round = 1; round <= REPEAT; round++)); do
      for s in haproxy nginx remora remora-uring; do
        if wants "$s"; then run_proxy "$s" "$t"; fi
      done
    done
  done
  stop_pid backend
  record_rows

  local table report="$OUT_DIR/results-$stamp.md"
  table=$(render_table)
  {
    echo "## Run $stamp"
    echo
    machine_info
    echo "- command: \`bench/run.sh --duration $DURATION --repeat $REPEAT --threads ${THREAD_LIST} --only $ONLY$( ((SKIP_H2)) && echo ' --skip-h2')\`"
    echo "- load: h1 \`wrk -t$WRK_THREADS -c$WRK_CONNS -d${DURATION}s --latency\`; h2c \`h2load -t$H2_THREADS -c$H2_CLIENTS -m$H2_STREAMS -D $DURATION\` (mean/sd/max only)"
    echo "- backend: nginx, $BACKEND_WORKERS worker(s), 3-byte body; direct rows show the backend's own CPU and memory"
    if wants remora || wants remora-uring; then
      [[ -n $REMORA_JAR ]] && echo "- remora: jar $REMORA_JAR_REL (REMORA_JAR), built $(date -r "$REMORA_JAR_REL" '+%Y-%m-%d %H:%M')"
      [[ -n $REMORA_JAR ]] || echo "- remora: commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' (uncommitted changes)'), jar $( [[ -f $REPO_DIR/$REMORA_JAR_REL ]] && date -r "$REPO_DIR/$REMORA_JAR_REL" '+built %Y-%m-%d %H:%M' || echo missing)"
    fi
    wants remora-uring && echo "- remora-uring: the same Remora with \`REMORA_TRANSPORT=io-uring\` (the Sidecar's \`transport\`: io_uring instead of epoll), measured in the same rounds; not measured where the kernel or seccomp refuses io_uring"
    if [[ -z $REMORA_JAVA_OPTS$REMORA_JAVA ]]; then
      echo "- remora JVM: bin/remora's defaults (\`$(cat "$RUN_DIR/remora-cmdline" 2>/dev/null || echo "not started")\`); measured after discarded load per protocol until its JIT compiler threads were quiet (at least ${WARMUP}s; bench/jit.sh; the notes give each warm-up)"
    else
      echo "- remora JVM: \`${REMORA_JAVA:-java}\` ($("${REMORA_JAVA:-java}" -version 2>&1 | head -1)) \`$REMORA_JAVA_OPTS\`; measured after discarded load per protocol until its JIT compiler threads were quiet (at least ${WARMUP}s; bench/jit.sh; the notes give each warm-up)"
    fi
    echo "- quiet check before each run: machine busy < ${QUIET_PCT}% over ${QUIET_WINDOW}s, waiting at most ${QUIET_MAX}s;" \
      "rows are flagged when it never got quiet or when other processes used >= ${OTHER_WARN_PCT}% of a core during the run"
    echo
    echo "$table"
    echo
    echo "ratio = rps / direct rps of the same protocol. CPU us/req = proxy utime+stime over the run / requests"
    echo "completed. RSS = VmRSS at the end of the run, HWM = VmHWM (nginx: master + workers summed)."
    echo "Raw output: bench/out/run-$stamp/."
  } >"$report"
  echo
  echo "$table"
  echo
  log "report written to ${report#"$REPO_DIR"/}"
}

main "$@"
