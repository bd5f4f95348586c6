#!/usr/bin/env bash
# Stages the remora image's root filesystem from the build machine's own packages (no registry pull):
#   /opt/remora/jre         a jlink'd runtime with only the modules remora.jar needs
#   /opt/remora/remora.jar  the shaded launcher
#   /lib..., /lib64/...     glibc, libz, libstdc++, libgcc_s, the loader: what the runtime, Netty's natives
#                           (epoll, BoringSSL) and iptables link against, copied with symlinks dereferenced
#   /usr/sbin/...           iptables (nft and legacy backends) for `remora init`, every name a copy
#   /etc/passwd, /etc/group uid/gid 1337 (remora) and 0; no shell anywhere
# Jib then packs the directory onto a scratch base (launcher/pom.xml). Usage: stage-rootfs.sh JAR OUT_DIR
set -euo pipefail

jar=$1
out=$2
fail() { echo "remora image: $*" >&2; exit 1; }

# The modules `jdeps --multi-release 17 --ignore-missing-deps --print-module-deps` reports for remora.jar
# (with its module-info.class entries removed), plus what is loaded only by name at run time:
# jdk.crypto.ec (EC keys and ECDHE for the JDK TLS provider), jdk.naming.dns, jdk.zipfs. java.desktop is there for
# java.beans only (snakeyaml's and Jackson's introspection): its AWT, font and sound libraries are removed below,
# so that no X11 library comes along.
modules=java.base,java.compiler,java.desktop,java.naming,java.net.http,java.sql,jdk.httpserver,jdk.jfr,\
jdk.management,jdk.unsupported,jdk.crypto.ec,jdk.naming.dns,jdk.zipfs

# jlink needs the jmods of the JDK the runtime is linked from; Debian's OpenJDK 17 ships them, Temurin's does not.
jdk=${REMORA_IMAGE_JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
[[ -f $jdk/jmods/java.base.jmod ]] \
  || fail "no jmods in $jdk/jmods: apt-get install openjdk-17-jdk-headless (or set REMORA_IMAGE_JDK to a JDK 17 with jmods)"
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

"$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --compress=2 \
  --output "$out/opt/remora/jre"
(cd "$out/opt/remora/jre/lib" && rm -f libawt.so libawt_headless.so libawt_xawt.so libfontmanager.so libjavajpeg.so \
  libjsound.so liblcms.so libmlib_image.so libsplashscreen.so)
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

echo "remora image: staged $(du -sh "$out" | cut -f1) in $out (${#libs[@]} libraries)"
