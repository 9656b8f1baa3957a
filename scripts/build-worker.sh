#!/usr/bin/env bash
# Builds the mediasoup-worker binary from the installed mediasoup npm package's own C++ sources,
# against Debian's libraries (see scripts/worker-subprojects/README.md), and installs it where
# mediasoup looks by default (node_modules/mediasoup/worker/out/Release/mediasoup-worker).
#
# Two variants, chosen by HOINGHI_WORKER_VARIANT (default: patched):
# - `patched`: the sources are patched first with scripts/worker-patches/*.patch, in name order
#   (batched UDP sends, fixes of known 3.12.16 crashes; see scripts/worker-patches/README.md), and a
#   fresh build is verified with mediasoup's own test suite (scripts/verify-worker.sh) before it is
#   cached (HOINGHI_WORKER_VERIFY=0 skips that);
# - `upstream`: mediasoup's sources as published (what main built before the patches).
#
# The built binary is cached per user (~/.cache/hoinghi, or $HOINGHI_CACHE_DIR) keyed by the
# mediasoup version and the shim files (plus the patches for `patched`), so the two variants have
# their own entries, and a second run (even after `npm ci` wiped node_modules, or in a fresh clone
# on the same machine) only copies it back: seconds, no rebuild. A clean machine (CI) builds it from
# the npm package's sources and the patches here.
#
# HOINGHI_WORKER_JOBS: parallel compile jobs (default 2). HOINGHI_WORKER_BUILD_ONLY=1 compiles and
# stops before the verification; the next run reuses the compiled tree (.build/worker-src is kept
# while its key matches), so an interrupted build resumes where it stopped.
# `scripts/build-worker.sh --print-bin [variant]` prints the cached binary's path (empty if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MS_DIR=$ROOT/node_modules/mediasoup
[ -f "$MS_DIR/package.json" ] || { echo "build-worker: run npm ci first" >&2; exit 1; }
MS_VERSION=$(node -p "require('$MS_DIR/package.json').version")
SHIM_DIR=$ROOT/scripts/worker-subprojects
PATCH_DIR=$ROOT/scripts/worker-patches
PRINT_BIN=0
if [ "${1:-}" = --print-bin ]; then PRINT_BIN=1; VARIANT=${2:-${HOINGHI_WORKER_VARIANT:-patched}}; else VARIANT=${HOINGHI_WORKER_VARIANT:-patched}; fi
case "$VARIANT" in
  upstream) KEY=$( (echo "$MS_VERSION"; find "$SHIM_DIR" -type f | sort | xargs cat) | sha256sum | cut -c1-16) ;;
  patched) KEY=$( (echo "$MS_VERSION"; find "$SHIM_DIR" -type f | sort | xargs cat; find "$PATCH_DIR" -name '*.patch' | sort | xargs cat) \
    | sha256sum | cut -c1-16)-patched ;;
  *) echo "build-worker: HOINGHI_WORKER_VARIANT must be patched or upstream, not '$VARIANT'" >&2; exit 1 ;;
esac
CACHE_ROOT=${HOINGHI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hoinghi}
CACHE=$CACHE_ROOT/mediasoup-worker-$MS_VERSION-$KEY
BIN=$CACHE/mediasoup-worker
DEST=$MS_DIR/worker/out/Release/mediasoup-worker

if [ $PRINT_BIN = 1 ]; then [ -x "$BIN" ] && echo "$BIN"; exit 0; fi

install_bin() {
  mkdir -p "$(dirname "$DEST")"
  if ! cmp -s "$BIN" "$DEST" 2>/dev/null; then cp "$BIN" "$DEST.tmp" && mv "$DEST.tmp" "$DEST"; fi
}

if [ -x "$BIN" ]; then install_bin; exit 0; fi

echo "build-worker: building mediasoup-worker $MS_VERSION ($VARIANT) from source (a few minutes)"
start=$(date +%s)
SRC=$ROOT/.build/worker-src
if [ "$(cat "$SRC/.hoinghi-key" 2>/dev/null)" != "$KEY" ]; then
rm -rf "$SRC"; mkdir -p "$ROOT/.build"
cp -r "$MS_DIR/worker" "$SRC"
rm -rf "$SRC/out"

# hoinghi's patches to the worker's sources.
if [ "$VARIANT" = patched ]; then
  for p in "$PATCH_DIR"/*.patch; do
    patch -d "$SRC" -p1 --batch --forward --quiet < "$p" \
      || { echo "build-worker: $(basename "$p") does not apply to mediasoup $MS_VERSION" >&2; exit 1; }
  done
fi

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

( cd "$SRC" && meson setup out/build --buildtype release -Db_ndebug=true -Db_pie=true -Db_staticpic=true \
  --wrap-mode=nodownload ) >"$ROOT/.build/worker-meson.log" 2>&1 \
  || { tail -40 "$ROOT/.build/worker-meson.log" >&2; exit 1; }
echo "$KEY" > "$SRC/.hoinghi-key"
fi
ninja -j "${HOINGHI_WORKER_JOBS:-2}" -C "$SRC/out/build" mediasoup-worker >"$ROOT/.build/worker-ninja.log" 2>&1 \
  || { tail -40 "$ROOT/.build/worker-ninja.log" >&2; exit 1; }
if [ "${HOINGHI_WORKER_BUILD_ONLY:-0}" = 1 ]; then
  echo "build-worker: compiled in $(( $(date +%s) - start ))s: $SRC/out/build/mediasoup-worker (not verified nor cached: HOINGHI_WORKER_BUILD_ONLY=1)"
  exit 0
fi

# mediasoup's own test suite against the patched binary; a failing build is not cached.
# HOINGHI_WORKER_VERIFY=0 skips it (a machine too loaded for the suite's 2 s test timeouts).
if [ "$VARIANT" = upstream ] || [ "${HOINGHI_WORKER_VERIFY:-1}" = 0 ]; then
  echo "build-worker: mediasoup suite not run (variant $VARIANT, HOINGHI_WORKER_VERIFY=${HOINGHI_WORKER_VERIFY:-1})" > "$ROOT/.build/worker-verify.log"
else
  bash scripts/verify-worker.sh "$SRC/out/build/mediasoup-worker" >"$ROOT/.build/worker-verify.log" 2>&1 \
    || { tail -60 "$ROOT/.build/worker-verify.log" >&2; echo "build-worker: mediasoup's test suite failed against the patched worker (log: .build/worker-verify.log); HOINGHI_WORKER_VARIANT=upstream builds the unpatched one" >&2; exit 1; }
  grep -E '^Tests:' "$ROOT/.build/worker-verify.log" | sed 's/^/build-worker: mediasoup suite: /' || true
fi

mkdir -p "$CACHE"
cp "$SRC/out/build/mediasoup-worker" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
cp "$ROOT/.build/worker-verify.log" "$CACHE/verify.log"
echo "$VARIANT" > "$CACHE/variant"
rm -rf "$SRC"
install_bin
echo "build-worker: built in $(( $(date +%s) - start ))s -> $BIN"
