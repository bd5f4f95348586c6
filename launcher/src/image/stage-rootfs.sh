#!/usr/bin/env bash
# Stages the remora image's root filesystem from the build machine's own packages (no registry pull):
#   /opt/remora/jre          a jlink'd runtime with only the modules remora.jar needs: from the newest JDK 25 or
#                            later under /usr/lib/jvm (Temurin's links from its own run-time image), else from
#                            Debian's OpenJDK 17 jmods, said in one line
#   /opt/remora/remora.jar   the shaded launcher
#   /opt/remora/jvm.options  the JVM's flags, for `java @/opt/remora/jvm.options` (the entrypoint and the injected
#                            pod's hook): bin/remora's defaults for the runtime linked
#   /opt/remora/remora.aot   on JDK 25 and later, the ahead-of-time cache, made here by a training run chrooted
#                            into the staged directory, so that it names the image's own runtime and jar
#   /lib..., /lib64/...      glibc, libz, libstdc++, libgcc_s, the loader: what the runtime, Netty's natives
#                            (epoll, BoringSSL) and iptables link against, copied with symlinks dereferenced
#   /usr/sbin/...            iptables (nft and legacy backends) for `remora init`, every name a copy
#   /etc/passwd, /etc/group  uid/gid 1337 (remora) and 0; no shell anywhere
# Jib then packs the directory onto a scratch base (launcher/pom.xml). Usage: stage-rootfs.sh JAR OUT_DIR
# REMORA_IMAGE_JDK names the JDK to link from instead (17 or later; with jmods, or 24 and later built to link from
# its run-time image); REMORA_IMAGE_JDKS the directory searched for a JDK 25 (default /usr/lib/jvm).
set -euo pipefail

jar=$1
out=$2
fail() { echo "remora image: $*" >&2; exit 1; }

# The modules `jdeps --multi-release 17 --ignore-missing-deps --print-module-deps` reports for remora.jar
# (with its module-info.class entries removed; JDK 25's jdeps with --multi-release 25 reports the same), plus what is loaded only by name at run time:
# jdk.crypto.ec (EC keys and ECDHE for the JDK TLS provider), jdk.naming.dns, jdk.zipfs. java.desktop is there for
# java.beans only (snakeyaml's and Jackson's introspection): its AWT, font and sound libraries are removed below,
# so that no X11 library comes along.
modules=java.base,java.compiler,java.desktop,java.naming,java.net.http,java.sql,jdk.httpserver,jdk.jfr,\
jdk.management,jdk.unsupported,jdk.crypto.ec,jdk.naming.dns,jdk.zipfs

# A JDK's feature version (25 for 25.0.3) from the release file of its home; empty when there is none.
feature_of() { [[ ! -f $1/release ]] || sed -n 's/^JAVA_VERSION="\([0-9]*\).*"/\1/p' "$1/release" | head -1; }

# The runtime: JDK 25 and later start in about half the time of 17 with the cache and use less memory
# (bench/RESULTS.md "Footprint"). No Debian package has one; Temurin's, where the machine has it, is used, and it
# links from its own run-time image (JEP 493), without jmods. Else Debian's OpenJDK 17, from its jmods.
jdk=${REMORA_IMAGE_JDK:-}
if [[ -z $jdk ]]; then
  best=0
  for home in "${REMORA_IMAGE_JDKS:-/usr/lib/jvm}"/*/; do
    home=${home%/}
    f=$(feature_of "$home")
    if [[ $f =~ ^[0-9]+$ && -x $home/bin/jlink ]] && ((f >= 25 && f > best)); then
      best=$f jdk=$home
    fi
  done
  if [[ -z $jdk ]]; then
    jdk=/usr/lib/jvm/java-17-openjdk-amd64
    echo "remora image: no JDK 25 or later in ${REMORA_IMAGE_JDKS:-/usr/lib/jvm}: linking OpenJDK 17 from its jmods," \
      "without compact object headers or an ahead-of-time cache" >&2
  fi
fi
[[ -x $jdk/bin/jlink ]] \
  || fail "no $jdk/bin/jlink: apt-get install openjdk-17-jdk-headless (or set REMORA_IMAGE_JDK to a JDK 17 or later)"
feature=$(feature_of "$jdk")
[[ $feature =~ ^[0-9]+$ ]] && ((feature >= 17)) || fail "$jdk/release names no JDK 17 or later"
link_from=()
if [[ -f $jdk/jmods/java.base.jmod ]]; then
  link_from=(--module-path "$jdk/jmods")
elif ((feature < 24)); then
  fail "no jmods in $jdk/jmods: apt-get install openjdk-17-jdk-headless (or set REMORA_IMAGE_JDK to a JDK with jmods)"
fi
[[ -f $jar ]] || fail "$jar is missing: build it with mvn -pl launcher -am package"
command -v ldd >/dev/null || fail "ldd is missing: apt-get install libc-bin"
command -v strip >/dev/null || fail "strip is missing: apt-get install binutils"
command -v unzip >/dev/null || fail "unzip is missing: apt-get install unzip"
iptables_bins=(/usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi)
for b in "${iptables_bins[@]}"; do
  [[ -x $b ]] || fail "$b is missing: apt-get install iptables"
done

rm -rf "$out"
mkdir -p "$out/opt/remora" "$out/etc" "$out/usr/sbin" "$out/tmp" "$out/proc" "$out/dev"

# JDK 21 and later name the compression zip-6 and warn about the old number.
compress=2
((feature < 21)) || compress=zip-6
"$jdk/bin/jlink" "${link_from[@]}" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --compress="$compress" \
  --output "$out/opt/remora/jre"
(cd "$out/opt/remora/jre/lib" && rm -f libawt.so libawt_headless.so libawt_xawt.so libfontmanager.so libjavajpeg.so \
  libjsound.so liblcms.so libmlib_image.so libsplashscreen.so libfreetype.so libjawt.so)
cp "$jar" "$out/opt/remora/remora.jar"

# iptables: xtables-*-multi picks the tool by the name it was started as; Jib keeps no symlinks, so copies.
for backend in nft legacy; do
  for family in iptables ip6tables; do
    for tool in save restore; do
      cp -L "/usr/sbin/xtables-$backend-multi" "$out/usr/sbin/$family-$backend-$tool"
    done
  done
done
xt=/usr/lib/x86_64-linux-gnu/xtables
[[ -d $xt ]] || fail "$xt (iptables' match and target modules) is missing: apt-get install iptables"
mkdir -p "$out$xt"
cp -L "$xt"/*.so "$out$xt/"

# Every ELF file in the rootfs plus Netty's natives (unpacked from the jar at run time) and their libraries.
natives=$(mktemp -d)
trap 'rm -rf "$natives"' EXIT
unzip -q -o -j "$jar" 'META-INF/native/*.so' -d "$natives"
mapfile -t elves < <(find "$out" "$natives" -type f \( -name '*.so*' -o -perm -u+x \) \
  -exec sh -c 'head -c4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
mapfile -t libs < <(for f in "${elves[@]}"; do ldd "$f" 2>/dev/null || true; done \
  | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u \
  | grep -v "^$out/" | grep -v "^$natives/")
for lib in "${libs[@]}"; do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
# Debian's libjvm.so keeps its symbol table (3 MB); the runtime needs only the dynamic symbols.
find "$out" -type f -name '*.so*' -exec strip --strip-unneeded {} +
[[ -f $out/lib64/ld-linux-x86-64.so.2 ]] || fail "ldd found no dynamic loader (/lib64/ld-linux-x86-64.so.2)"

cat >"$out/etc/passwd" <<'EOF'
root:x:0:0:root:/nonexistent:/sbin/nologin
remora:x:1337:1337:remora:/nonexistent:/sbin/nologin
EOF
cat >"$out/etc/group" <<'EOF'
root:x:0:
remora:x:1337:
EOF
echo 'hosts: files dns' >"$out/etc/nsswitch.conf"

# The JVM's flags, as bin/remora gives them on this runtime's version (keep the two the same): the serial collector
# and capped memory pools, Netty's leak detector and flight-recorder events off, the JVM's warnings on stderr, an
# event-loop-local magazine in Netty's allocator despite the small heap; on
# JDK 25 and later compact object headers, native-heap trimming every second, native access and Unsafe for Netty,
# and reflection through native accessors.
opts=(-XX:+UseSerialGC -Xms16m -Xmx64m -Xss256k -XX:MaxDirectMemorySize=64m -XX:ReservedCodeCacheSize=32m
  -XX:MaxMetaspaceSize=64m -Dio.netty.leakDetection.level=disabled -Dio.netty.jfr.enabled=false
  -Xlog:disable -Xlog:all=warning:stderr -Dio.netty.allocator.lowMemory=false)
if ((feature >= 25)); then
  opts+=(-XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=1000 --enable-native-access=ALL-UNNAMED
    -Djdk.reflect.useNativeAccessorOnly=true --sun-misc-unsafe-memory-access=allow)
fi

# Jib gives every file it packs the modification time 1970-01-01T00:00:01Z, and the JVM refuses a cache whose jar
# or runtime has another time than when the cache was made: the staged files get that time before the training.
find "$out" -exec touch -h -d @1 {} +

# The ahead-of-time cache (JDK 25 and later): a training run of io.remora.launcher.AotTraining (bin/remora's: a
# proxy, a demo app, 20,000 requests, then /quitquitquit) with the image's own java and jar at the image's paths,
# chrooted into the staged directory in mount and PID namespaces of its own (its own /proc, the host's /dev bound
# in), as ImageIT runs the image. chroot needs root (CI and ImageIT run as root); without it the training runs the
# staged java on the staged jar where they are: the JVM then accepts the cache at /opt/remora all the same, as it
# matches a class path that differs from the recorded one only in a common leading directory (checked with
# -XX:AOTMode=on and -Xlog:class+path). A training run that fails stops the build: the image would be slower.
aot=
if ((feature >= 25)); then
  aot=/opt/remora/remora.aot
  if (($(id -u) == 0)); then
    at=
    run=(unshare --mount --pid --fork --kill-child --mount-proc="$out/proc"
      sh -c 'mount --bind /dev "$0/dev" && exec chroot "$0" "$@"' "$out")
  else
    echo "remora image: not root, so no chroot: training the ahead-of-time cache at $out" >&2
    at=$out
    run=()
  fi
  start=$SECONDS
  "${run[@]}" "$at/opt/remora/jre/bin/java" "${opts[@]}" -XX:AOTCacheOutput="$at$aot" \
    -cp "$at/opt/remora/remora.jar" io.remora.launcher.AotTraining >/dev/null 2>"$out.aot.log" \
    || fail "the training run for the ahead-of-time cache failed (exit $?; its stderr: $out.aot.log)"
  [[ -s $out$aot ]] || fail "the training run wrote no ahead-of-time cache (its stderr: $out.aot.log)"
  rm -rf "$out$aot.config" "$out/tmp" && mkdir "$out/tmp"
  echo "remora image: ahead-of-time cache $aot ($(du -h "$out$aot" | cut -f1)) made in $((SECONDS - start)) s"
fi
{
  echo "# The JVM's flags for every remora command in this image: java @/opt/remora/jvm.options ... (stage-rootfs.sh)"
  printf '%s\n' "${opts[@]}"
  [[ -z $aot ]] || echo "-XX:AOTCache=$aot"
} >"$out/opt/remora/jvm.options"

echo "remora image: staged $(du -sh "$out" | cut -f1) in $out (${#libs[@]} libraries; JDK $feature from $jdk)"
