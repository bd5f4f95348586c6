# shellcheck shell=bash
# JIT warm-up for the benchmarks that measure a JVM (run.sh, and mtls.sh through lib.sh); source it, do not run it.
#
# A JVM runs its code interpreted first and compiles it while it serves; until the compiler threads go quiet, a
# measurement counts their CPU and the slower code's. How long that takes is the machine's: a few seconds on a fast
# one, over ten on a slow or shared one, so a fixed warm-up measured a half-warm proxy there. warm_until_compiled runs
# the load in short windows until the JIT compiler threads of the measured JVMs used less than JIT_QUIET_PCT % of a
# core in the last window, at least MIN_S (the caller's WARMUP) and at most WARMUP_MAX s in all; WARMED_S says how long it took
# (reported beside the figures, as the JVM's cost before steady state).
WARMUP_STEP=${WARMUP_STEP:-2}
JIT_QUIET_PCT=${JIT_QUIET_PCT:-3}
WARMUP_MAX=${WARMUP_MAX:-60}
JIT_HZ=$(getconf CLK_TCK)

# jit_ticks PID...: CPU ticks (user + system) so far of the JIT compiler threads of the processes (0 for one that has
# none, such as HAProxy). HotSpot names them "C1 CompilerThreadN" and "C2 CompilerThreadN"; comm keeps 15 bytes.
jit_ticks() {
  local pid task name sum=0 stat f
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      read -r name <"$task/comm" 2>/dev/null || continue
      [[ $name == C[12]\ CompilerThre* ]] || continue
      read -r stat <"$task/stat" 2>/dev/null || continue
      stat=${stat##*) }   # the fields after "pid (comm) "; utime and stime are fields 14 and 15 of the line
      read -r -a f <<<"$stat"
      sum=$((sum + f[11] + f[12]))
    done
  done
  echo "$sum"
}

# warm_until_compiled MIN_S LOAD_FN PID...: runs `LOAD_FN SECONDS` (discarded load) in WARMUP_STEP s windows until the
# JIT of PID... is quiet, as above. Sets WARMED_S (seconds of load run) and JIT_QUIET (1 when it went quiet, 0 when
# WARMUP_MAX ran out first).
warm_until_compiled() {
  local min=$1 load=$2 before after pct
  shift 2
  WARMED_S=0 JIT_QUIET=0
  while ((WARMED_S < WARMUP_MAX)); do
    before=$(jit_ticks "$@")
    "$load" "$WARMUP_STEP" >/dev/null 2>&1 || true
    after=$(jit_ticks "$@")
    WARMED_S=$((WARMED_S + WARMUP_STEP))
    # Compiler threads come and go (HotSpot starts and stops them by demand): a window with fewer is not negative.
    pct=$(( (after > before ? after - before : 0) * 100 / (JIT_HZ * WARMUP_STEP) ))
    if ((WARMED_S >= min && pct < JIT_QUIET_PCT)); then
      JIT_QUIET=1
      return 0
    fi
  done
}
