# Shared by the standalone benchmarks (footprint.sh, policy.sh); source it, do not run it.
# Gives: BENCH_DIR, REPO_DIR, JAR; WORK (a temporary directory removed on exit with every pid in PIDS);
# require_tools TOOL...; ensure_jar; start_ok_backend PORT (nginx answering "ok" on 127.0.0.1:PORT);
# wait_ready PID PORT [LOG] (until the sidecar's /healthz/ready on PORT answers);
# run_sidecar ARGS... (the launcher as bin/remora runs it, with its JDK and JVM flags; SIDECAR_JAVA_OPTS set for an A/B
# run: `java $SIDECAR_JAVA_OPTS -jar $JAR` instead, SIDECAR_JAVA naming the java),
# round_flags "$@" (--rounds, --duration, --conns into ROUNDS, DURATION, CONNS), rps PORT SECONDS, median,
# alternate NAME_A PORT_A NAME_B PORT_B (warm-up, A's until the JIT of JVM_PIDS is quiet (jit.sh), then rounds into
# the arrays A_RPS and B_RPS).
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
# SIDECAR_JAR: another build's remora.jar (an older commit's) for the sidecars, run with SIDECAR_JAVA(_OPTS).
JAR=${SIDECAR_JAR:-$REPO_DIR/launcher/target/remora.jar}
WORK=$(mktemp -d)
PIDS=()
bench_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is missing (bench/run.sh installs it)" >&2; exit 1; }
  done
}

ensure_jar() {
  [[ -f $JAR ]] || (cd "$REPO_DIR" && mvn -q -B -DskipTests -Dremora.image.skip=true package)
  # bin/remora makes its ahead-of-time cache on the first run after a build: here, not in a measured start.
  [[ -n $SIDECAR_JAVA_OPTS || -n ${SIDECAR_JAR:-} ]] || "$REPO_DIR/bin/remora" --version >/dev/null
}

start_ok_backend() {
  mkdir -p "$WORK/logs"
  cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; location / { return 200 "ok\n"; } }
}
NGINX
  nginx -p "$WORK" -c "$WORK/nginx.conf"
}

wait_ready() { # wait_ready PID HEALTH_PORT [LOG_FILE, default $WORK/remora.out]
  until curl -sf -o /dev/null "http://127.0.0.1:$2/healthz/ready"; do
    kill -0 "$1" 2>/dev/null || { echo "remora exited: $(tail -3 "${3:-$WORK/remora.out}")" >&2; exit 1; }
    sleep 0.005
  done
}

# The flags bin/remora used before it ran the newest JDK (JDK 17, no cache): the "before" of footprint.sh.
OLD_JAVA_OPTS="-XX:+UseSerialGC -Xms16m -Xmx64m -Xss256k -XX:MaxDirectMemorySize=64m -XX:ReservedCodeCacheSize=32m -XX:MaxMetaspaceSize=64m -Dio.netty.leakDetection.level=disabled"
SIDECAR_JAVA_OPTS=${SIDECAR_JAVA_OPTS:-}
SIDECAR_JAVA=${SIDECAR_JAVA:-java}

# run_sidecar ARGS...: remora ARGS in the foreground of the caller's redirections (start it with &). By default what a
# user gets: bin/remora's choice of JDK, its flags and its ahead-of-time cache (made on its first run after a build,
# before anything is measured: ensure_jar runs it once). JVM flags beyond those go in JDK_JAVA_OPTIONS.
run_sidecar() {
  if [[ -n $SIDECAR_JAVA_OPTS || -n ${SIDECAR_JAR:-} ]]; then
    # shellcheck disable=SC2086
    exec "$SIDECAR_JAVA" $SIDECAR_JAVA_OPTS -jar "$JAR" "$@"
  fi
  exec "$REPO_DIR/bin/remora" "$@"
}
WARMUP=5
# shellcheck source=bench/jit.sh
source "$BENCH_DIR/jit.sh"
JVM_PIDS=()

round_flags() { # round_flags DEFAULT_ROUNDS "$@"
  ROUNDS=$1 DURATION=10 CONNS=50
  shift
  while (($#)); do
    case "$1" in
      --rounds) ROUNDS=$2; shift 2 ;;
      --duration) DURATION=$2; shift 2 ;;
      --conns) CONNS=$2; shift 2 ;;
      *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
  done
}

rps() { # rps PORT SECONDS -> requests per second (HTTP/1.1 keep-alive, one load thread)
  h2load --h1 -t 1 -c "$CONNS" -D "$2" "http://127.0.0.1:$1/" | awk '/^finished in/ {gsub(/,/, "", $4); print $4}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# The load warm_until_compiled runs: rps on WARM_PORT.
warm_load() { rps "$WARM_PORT" "$1"; }

# alternate NAME_A PORT_A NAME_B PORT_B. JVM_PIDS: the sidecars' JVMs; each side's warm-up lasts until their JIT is
# quiet (only the side under load compiles), WARMUP s at least.
alternate() {
  local side
  for side in "$1 $2" "$3 $4"; do
    WARM_PORT=${side#* }; warm_until_compiled "$WARMUP" warm_load "${JVM_PIDS[@]}"
    echo "warm-up: ${side% *} ${WARMED_S}s ($( ((JIT_QUIET)) && echo "JIT quiet" || echo "JIT still busy after ${WARMUP_MAX}s"))" >&2
  done
  A_RPS=() B_RPS=()
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    # Alternate which goes first, so neither always runs on a warmer (or hotter) machine.
    if ((r % 2)); then
      A_RPS+=("$(rps "$2" "$DURATION")"); B_RPS+=("$(rps "$4" "$DURATION")")
    else
      B_RPS+=("$(rps "$4" "$DURATION")"); A_RPS+=("$(rps "$2" "$DURATION")")
    fi
    echo "round $r: $1 ${A_RPS[-1]} rps, $3 ${B_RPS[-1]} rps" >&2
  done
}
