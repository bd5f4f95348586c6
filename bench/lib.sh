# Shared by the standalone benchmarks (footprint.sh, policy.sh); source it, do not run it.
# Gives: BENCH_DIR, REPO_DIR, JAR; WORK (a temporary directory removed on exit with every pid in PIDS);
# require_tools TOOL...; ensure_jar; start_ok_backend PORT (nginx answering "ok" on 127.0.0.1:PORT);
# wait_ready PID PORT (until the sidecar's /healthz/ready on PORT answers).
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
JAR=$REPO_DIR/launcher/target/remora.jar
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
  [[ -f $JAR ]] || (cd "$REPO_DIR" && mvn -q -B -DskipTests package)
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

wait_ready() {
  until curl -sf -o /dev/null "http://127.0.0.1:$2/healthz/ready"; do
    kill -0 "$1" 2>/dev/null || { echo "remora exited: $(tail -3 "$WORK/remora.out")" >&2; exit 1; }
    sleep 0.005
  done
}
