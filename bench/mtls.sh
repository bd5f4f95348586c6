#!/usr/bin/env bash
# Remora two hops with mutual TLS against HAProxy two hops with mutual TLS, in one run:
#   client -> outbound proxy -> mTLS -> inbound proxy -> nginx backend
# Remora: two sidecars (one event loop each), the endpoint declares the server's SPIFFE ID.
# HAProxy: two processes (one thread each), `ssl verify required` both ways with the same certificates.
# Also full TLS handshakes per second on one inbound listener (openssl s_time, new session every
# connection): Remora with BoringSSL (netty-tcnative), Remora with the JDK provider, HAProxy.
# Rounds alternate between the two meshes; medians and the ratio Remora/HAProxy are printed.
# Not part of the test suite.
#
# Usage: bench/mtls.sh [--rounds N] [--duration S] [--conns C]
#   default: 3 rounds of 10 s, 50 HTTP/1.1 keep-alive connections (h2load --h1 -t 1); about 3 minutes.
#   Needs nginx, haproxy, h2load, openssl and launcher/target/remora.jar (built if missing).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
round_flags 3 "$@"
require_tools nginx haproxy h2load openssl curl java
ensure_jar
start_ok_backend 18380

C=$WORK/certs
java -jar "$JAR" certs root --out "$C" >/dev/null
java -jar "$JAR" certs issue --ca "$C" --namespace bench --service-account server --out "$C" >/dev/null
java -jar "$JAR" certs issue --ca "$C" --namespace bench --service-account client --out "$C" >/dev/null
cat "$C/server.pem" "$C/server.key" > "$C/server-haproxy.pem"
cat "$C/client.pem" "$C/client.key" > "$C/client-haproxy.pem"

sidecar() { # sidecar NAME ADMIN_BASE MTLS_EXTRA...
  cat <<YAML
apiVersion: remora.io/v1
kind: Sidecar
metadata: {name: $1, namespace: bench}
spec:
  threads: 1
  accessLog: false
  admin: 127.0.0.1:$2
  metrics: 127.0.0.1:$(($2 + 1))
  health: 127.0.0.1:$(($2 + 2))
  mtls: {mode: STRICT, certificate: $C/$1.pem, privateKey: $C/$1.key, trustBundle: $C/root.pem}
YAML
}
{ sidecar server 18350; echo "  inbound: {listen: 127.0.0.1:18382, app: 127.0.0.1:18380}"; } > "$WORK/server.yaml"
{ sidecar client 18360; cat <<YAML
  outbound: {upstreams: [{listen: 127.0.0.1:18381, service: backend.bench}]}
---
apiVersion: remora.io/v1
kind: Service
metadata: {name: backend, namespace: bench}
spec:
  endpoints: [{address: 127.0.0.1:18382, identity: spiffe://cluster.local/ns/bench/sa/server}]
YAML
} > "$WORK/client.yaml"

start_remora() { # start_remora CONFIG HEALTH_PORT [extra JVM flags]
  local conf=$1 health=$2; shift 2
  JDK_JAVA_OPTIONS="$*" run_sidecar proxy --config "$conf" > "$conf.out" 2>&1 &
  PIDS+=($!)
  wait_ready "${PIDS[-1]}" "$health" "$conf.out"
  # The transport it runs on (REMORA_TRANSPORT=io-uring asks for io_uring), from its proxy_ready line.
  echo "$(basename "$conf" .yaml) sidecar: transport $(grep -o '"event":"proxy_ready".*' "$conf.out" \
    | grep -o '"transport":"[a-z_]*"' | cut -d'"' -f4)"
}
start_remora "$WORK/server.yaml" 18352
start_remora "$WORK/client.yaml" 18362

haproxy_hop() { # haproxy_hop NAME FRONTEND BACKEND_LINE
  cat > "$WORK/$1.cfg" <<CFG
global
    nbthread 1
    maxconn 8000
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind $2
    default_backend be
backend be
    $3
CFG
  haproxy -D -p "$WORK/$1.pid" -f "$WORK/$1.cfg"
}
haproxy_hop hop2 "127.0.0.1:18392 ssl crt $C/server-haproxy.pem ca-file $C/root.pem verify required alpn http/1.1" \
  "server backend 127.0.0.1:18380"
haproxy_hop hop1 "127.0.0.1:18391" \
  "server hop2 127.0.0.1:18392 ssl crt $C/client-haproxy.pem ca-file $C/root.pem verify required alpn http/1.1"
trap 'for f in "$WORK"/hop*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null; done; bench_cleanup' EXIT
for port in 18381 18391; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
  [[ $code == 200 ]] || { echo "two-hop path on :$port answered $code" >&2; exit 1; }
done

JVM_PIDS=("${PIDS[@]}")
alternate remora 18381 haproxy 18391
R=("${A_RPS[@]}") H=("${B_RPS[@]}")
rem=$(printf '%s\n' "${R[@]}" | median)
hap=$(printf '%s\n' "${H[@]}" | median)

# Full handshakes per second on one inbound listener (no session reuse: -new).
s_time() { # s_time PORT -> full handshakes per wall-clock second
  openssl s_time -connect "127.0.0.1:$1" -new -time 5 -cert "$C/client.pem" -key "$C/client.key" 2>/dev/null \
    | awk '/connections in [0-9]+ real seconds/ {printf "%.0f", $1 / $4; exit}'
}
hs_remora=$(s_time 18382)
hs_haproxy=$(s_time 18392)
# The same inbound sidecar on the JDK's TLS instead of BoringSSL.
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
start_remora "$WORK/server.yaml" 18352 -Dio.netty.handler.ssl.noOpenSsl=true
hs_jdk=$(s_time 18382)

printf '| two hops, mTLS between them | median rps | rounds |\n|---|---:|---|\n'
printf '| Remora (2 sidecars, 1 event loop each) | %.0f | %s |\n' "$rem" "${R[*]}"
printf '| HAProxy (2 processes, 1 thread each) | %.0f | %s |\n' "$hap" "${H[*]}"
printf '\nratio Remora/HAProxy: %.3f; load: h2load --h1 -t 1 -c %s, %s s per round\n\n' \
  "$(awk -v a="$rem" -v b="$hap" 'BEGIN {print a / b}')" "$CONNS" "$DURATION"
printf '| full handshakes per second (openssl s_time -new, ECDSA P-256, client cert, one client) | handshakes/s |\n|---|---:|\n'
printf '| Remora inbound, BoringSSL (netty-tcnative) | %s |\n| Remora inbound, JDK TLS | %s |\n| HAProxy frontend (OpenSSL) | %s |\n' \
  "${hs_remora:-?}" "${hs_jdk:-?}" "${hs_haproxy:-?}"
