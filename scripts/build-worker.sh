#!/usr/bin/env bash
# Builds the mediasoup-worker binary from the installed mediasoup npm package's own C++ sources,
# against Debian's libraries (see scripts/worker-subprojects/README.md), and installs it where
# mediasoup looks by default (node_modules/mediasoup/worker/out/Release/mediasoup-worker).
#
# The sources are patched first with scripts/worker-patches/*.patch, in name order (batched UDP
# sends, fixes of known 3.12.16 crashes; see scripts/worker-patches/README.md). A fresh build is
# verified with mediasoup's own test suite (scripts/verify-worker.sh) before it is cached.
#
# The built binary is cached per user (~/.cache/hoinghi, or $HOINGHI_CACHE_DIR) keyed by the
# mediasoup version, the shim files and the patches, so a second run (even after `npm ci` wiped node_modules,
# or in a fresh clone on the same machine) only copies it back: seconds, no rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MS_DIR=$ROOT/node_modules/mediasoup
[ -f "$MS_DIR/package.json" ] || { echo "build-worker: run npm ci first" >&2; exit 1; }
MS_VERSION=$(node -p "require('$MS_DIR/package.json').version")
SHIM_DIR=$ROOT/scripts/worker-subprojects
PATCH_DIR=$ROOT/scripts/worker-patches
KEY=$( (echo "$MS_VERSION"; find "$SHIM_DIR" "$PATCH_DIR" -type f -name '*' ! -name '*.md' | sort | xargs cat) | sha256sum | cut -c1-16)
CACHE_ROOT=${HOINGHI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hoinghi}
CACHE=$CACHE_ROOT/mediasoup-worker-$MS_VERSION-$KEY
BIN=$CACHE/mediasoup-worker
DEST=$MS_DIR/worker/out/Release/mediasoup-worker

install_bin() {
  mkdir -p "$(dirname "$DEST")"
  if ! cmp -s "$BIN" "$DEST" 2>/dev/null; then cp "$BIN" "$DEST"; fi
}

if [ -x "$BIN" ]; then install_bin; exit 0; fi

echo "build-worker: building mediasoup-worker $MS_VERSION from source (a few minutes)"
start=$(date +%s)
SRC=$ROOT/.build/worker-src
rm -rf "$SRC"; mkdir -p "$ROOT/.build"
cp -r "$MS_DIR/worker" "$SRC"
rm -rf "$SRC/out"

# hoinghi's patches to the worker's sources.
for p in "$PATCH_DIR"/*.patch; do
  patch -d "$SRC" -p1 --batch --forward --quiet < "$p" \
    || { echo "build-worker: $(basename "$p") does not apply to mediasoup $MS_VERSION" >&2; exit 1; }
done

# System-library shims for every subproject but libsrtp.
for d in "$SHIM_DIR"/*/; do cp -r "$d" "$SRC/subprojects/"; done

# libsrtp 2.5.0 from Debian's source package; its orig tarball is upstream's release archive.
SRTP_TGZ=$CACHE_ROOT/libsrtp-2.5.0.tar.gz
WANT_HASH=$(sed -n 's/^source_hash *= *//p' "$SRC/subprojects/libsrtp2.wrap")
if [ ! -f "$SRTP_TGZ" ] || [ "$(sha256sum "$SRTP_TGZ" | cut -d' ' -f1)" != "$WANT_HASH" ]; then
  mkdir -p "$CACHE_ROOT"
  tmp=$(mktemp -d)
  ( cd "$tmp" && apt-get source --download-only -qq libsrtp2 >/dev/null )
  orig=$(ls "$tmp"/libsrtp2_2.5.0.orig.tar.* 2>/dev/null | head -n1 || true)
  [ -n "$orig" ] || { echo "build-worker: apt-get source libsrtp2 gave no 2.5.0 orig tarball (need the deb-src entry from setup-system.sh)" >&2; exit 1; }
  cp "$orig" "$SRTP_TGZ"; rm -rf "$tmp"
fi
got=$(sha256sum "$SRTP_TGZ" | cut -d' ' -f1)
[ "$got" = "$WANT_HASH" ] || { echo "build-worker: libsrtp tarball hash $got != $WANT_HASH" >&2; exit 1; }
mkdir -p "$SRC/subprojects/packagecache"
cp "$SRTP_TGZ" "$SRC/subprojects/packagecache/libsrtp-2.5.0.tar.gz"

cd "$SRC"
meson setup out/build --buildtype release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
  --wrap-mode=nodownload >"$ROOT/.build/worker-meson.log" 2>&1 \
  || { tail -40 "$ROOT/.build/worker-meson.log" >&2; exit 1; }
ninja -C out/build mediasoup-worker >"$ROOT/.build/worker-ninja.log" 2>&1 \
  || { tail -40 "$ROOT/.build/worker-ninja.log" >&2; exit 1; }

# mediasoup's own test suite against the patched binary; a failing build is not cached.
# HOINGHI_WORKER_VERIFY=0 skips it (a machine too loaded for the suite's 2 s test timeouts).
cd "$ROOT"
[ "${HOINGHI_WORKER_VERIFY:-1}" = 0 ] && echo "build-worker: mediasoup suite skipped (HOINGHI_WORKER_VERIFY=0)" > "$ROOT/.build/worker-verify.log" || \
bash scripts/verify-worker.sh "$SRC/out/build/mediasoup-worker" >"$ROOT/.build/worker-verify.log" 2>&1 \
  || { tail -60 "$ROOT/.build/worker-verify.log" >&2; echo "build-worker: mediasoup's test suite failed against the patched worker (log: .build/worker-verify.log)" >&2; exit 1; }
grep -E '^Tests:' "$ROOT/.build/worker-verify.log" | sed 's/^/build-worker: mediasoup suite: /' || true

mkdir -p "$CACHE"
cp "$SRC/out/build/mediasoup-worker" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
cp "$ROOT/.build/worker-verify.log" "$CACHE/verify.log"
cd "$ROOT"; rm -rf "$SRC"
install_bin
echo "build-worker: built in $(( $(date +%s) - start ))s -> $BIN"
