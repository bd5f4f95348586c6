#!/usr/bin/env bash
# JMH micro-benchmarks of the proxy's per-request pieces (module bench/jmh, bench/jmh/target/remora-jmh.jar): route
# match, request-head checks and edits, upstream response-head decoding, metric recording; time per call and bytes
# allocated per call (-prof gc).
# Not part of the test suite: the build only packages the jar.
#
# Usage: bench/jmh.sh [--build] [JMH ARGS...]
#   JMH ARGS: benchmark regexps and JMH options, after the defaults, e.g.
#     bench/jmh.sh RoutingBenchmark              only the routing benchmarks
#     bench/jmh.sh -p rule=split 'match$'        one benchmark, one parameter value
#   JMH_OPTS replaces the defaults ("-f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc"; a JMH option may be given once);
#   JMH_JVM_ARGS are the forked JVM's flags (default: the sidecar's collector, -XX:+UseSerialGC, with a fixed heap).
#   The jar is built when it is missing or older than the sources of the proxy, config, log or bench/jmh;
#   --build builds it anyway. About 4 minutes for everything with the defaults.
# Prints JMH's table, then one row per benchmark (ns/op, B/op), and writes both with the machine, the commit and
# how busy the machine was to bench/out/jmh-<date>/ (results.md, jmh.txt, results.csv). See bench/README.md.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
JMH_JAR=$BENCH_DIR/jmh/target/remora-jmh.jar
JMH_OPTS=${JMH_OPTS:-"-f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc"}
JMH_JVM_ARGS=${JMH_JVM_ARGS:-"-XX:+UseSerialGC -Xms256m -Xmx256m -Dio.netty.leakDetection.level=disabled"}
BUILD=0
if [[ ${1:-} == --build ]]; then BUILD=1; shift; fi

stale() { # true when the jar is missing or a source it is built from is newer
  [[ -f $JMH_JAR ]] || return 0
  [[ -n $(find "$REPO_DIR"/{proxy,config,log,net,certs,protocol}/src/main "$REPO_DIR/config/src/test" \
      "$BENCH_DIR/jmh/src" "$REPO_DIR/pom.xml" "$BENCH_DIR/jmh/pom.xml" "$REPO_DIR/proxy/pom.xml" \
      -newer "$JMH_JAR" -type f -print -quit 2>/dev/null) ]]
}
if ((BUILD)) || stale; then
  echo "building $JMH_JAR: mvn -q -B -pl bench/jmh -am package -DskipTests" >&2
  (cd "$REPO_DIR" && mvn -q -B -pl bench/jmh -am package -DskipTests -Dremora.image.skip=true)
fi

cpu_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
STAMP=$(date +%Y-%m-%d-%H%M%S)
OUT_DIR=$BENCH_DIR/out/jmh-$STAMP
mkdir -p "$OUT_DIR"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TICKS_BEFORE=$(cpu_ticks)
# shellcheck disable=SC2086 # JMH_OPTS is a list of options
java -jar "$JMH_JAR" $JMH_OPTS -jvmArgsAppend "$JMH_JVM_ARGS" -rf csv -rff "$OUT_DIR/results.csv" "$@" \
  | tee "$OUT_DIR/jmh.txt"
BUSY=$(awk -v a="$TICKS_BEFORE" -v b="$(cpu_ticks)" \
  'BEGIN {split(a, x, " "); split(b, y, " "); printf "%d", 100 * (y[1]-x[1]) / (y[2]-x[2])}')

{
  echo "## JMH $(date '+%Y-%m-%d %H:%M') — \`bench/jmh.sh${*:+ $*}\`"
  echo
  echo "- commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_DIR" diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "- $(java -version 2>&1 | head -1); JMH options \`$JMH_OPTS\`, forked JVM \`$JMH_JVM_ARGS\`"
  echo "- load average before: $LOAD_BEFORE; the whole machine was $BUSY% busy during the run (the benchmark itself keeps one of $(nproc) CPUs busy, $((100 / $(nproc)))%)"
  echo
  echo "| benchmark | parameters | ns/op | ± (99.9 %) | B/op |"
  echo "|---|---|---:|---:|---:|"
  # JMH's CSV: "Benchmark","Mode","Threads","Samples","Score","Score Error (99.9%)","Unit","Param: a",...; the
  # profiler's figures are rows of their own named benchmark:gc.alloc.rate.norm. CRLF line ends; no field holds a
  # comma.
  awk -F, '{ sub(/\r$/, "") } NR == 1 { for (i = 8; i <= NF; i++) { p = $i; gsub(/"|Param: /, "", p); param[i] = p }; next }
    { for (i = 1; i <= NF; i++) gsub(/"/, "", $i)
      key = ""; for (i = 8; i <= NF; i++) if ($i != "") key = key (key == "" ? "" : ", ") param[i] "=" $i
      name = $1; sub(/^io\.remora\.proxy\.http\./, "", name)
      if (name ~ /:gc\.alloc\.rate\.norm$/) { sub(/:.*/, "", name); bytes[name SUBSEP key] = $5; next }
      if (name ~ /:/) next
      row[++n] = name SUBSEP key; score[n] = $5; err[n] = $6 }
    END { for (r = 1; r <= n; r++) { split(row[r], k, SUBSEP)
      printf "| %s | %s | %.1f | %s | %s |\n", k[1], k[2], score[r], (err[r] == "NaN" ? "-" : sprintf("%.1f", err[r])),
        (row[r] in bytes ? sprintf("%.0f", bytes[row[r]]) : "-") } }' "$OUT_DIR/results.csv"
} > "$OUT_DIR/results.md"
echo
cat "$OUT_DIR/results.md"
echo
echo "written to ${OUT_DIR#"$REPO_DIR"/}/ (results.md, jmh.txt, results.csv)"
