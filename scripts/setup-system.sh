#!/usr/bin/env bash
# Installs the Debian packages hoinghi needs: the mediasoup worker's build libraries, meson >= 1.1
# (from bookworm-backports), Chromium for the end-to-end tests, Redis for cluster tests, HAProxy
# (the load balancer in front of signaling, in scripts/start-cluster.sh and the tests), and the
# libsrtp2 source archive that mediasoup builds with OpenSSL crypto, iproute2's `tc` (a weak
# link for one browser in test/e2e/weakLink.test.ts) and nftables (firewalls and partitions of the
# network-namespace topology, harness/netns.ts), nginx (the HLS cache tier, deploy/nginx/), coturn
# (the TURN relay for schools behind firewalls, deploy/coturn/, test/e2e/turn.test.ts), and
# Prometheus for `promtool`, which checks and unit-tests the alert rules in deploy/prometheus
# (test/integration/operatorsView.test.ts; the prometheus service itself is not used; python3-yaml
# reads the rules there as JSON).
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

PACKAGES=(
  build-essential python3 pkg-config ninja-build
  libuv1-dev libssl-dev libusrsctp-dev libabsl-dev nlohmann-json3-dev
  chromium redis-server redis-sentinel ffmpeg haproxy postgresql patch openssl iproute2 nftables nginx coturn
  prometheus python3-yaml
)
BACKPORTS_PACKAGES=(meson)

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      echo "setup-system: need root (or sudo) to install Debian packages" >&2; exit 1
    fi
  else SUDO=""; fi
}

# One dpkg-query for every package, and meson's version from dpkg when it is Debian's: a second
# run (every start of scripts/start.sh and start-cluster.sh) only checks, and in a blink (one call
# per package, and starting meson's Python, took seconds on a busy machine).
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" "${BACKPORTS_PACKAGES[@]}" 2>/dev/null \
  | awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }' || true)
missing=()
for p in "${PACKAGES[@]}" "${BACKPORTS_PACKAGES[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

meson_ok() {
  command -v meson >/dev/null 2>&1 || return 1
  local v=""
  if [ "$(command -v meson)" = /usr/bin/meson ]; then v=$(dpkg-query -W -f='${Version}' meson 2>/dev/null || true); v=${v%%-*}; fi
  [ -n "$v" ] || v=$(meson --version 2>/dev/null || echo 0)
  # meson >= 1.1
  [ "$(printf '%s\n%s\n' "1.1.0" "$v" | sort -V | head -n1)" = "1.1.0" ]
}

if [ ${#missing[@]} -eq 0 ] && meson_ok; then
  exit 0
fi

need_root
echo "setup-system: installing ${missing[*]:-meson>=1.1}"

# The archive apt already uses (deb.debian.org or a mirror), for backports and deb-src.
archive=$(grep -hoE '^(URIs:|deb) *https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
            /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | grep -oE 'https?://[^ ]+' | grep -i debian | head -n1 || true)
archive=${archive:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
src=/etc/apt/sources.list.d/hoinghi.sources
if [ ! -f "$src" ]; then
  $SUDO tee "$src" >/dev/null <<EOF
Types: deb
URIs: $archive
Suites: bookworm-backports
Components: main
Signed-By: $keyring

Types: deb-src
URIs: $archive
Suites: bookworm
Components: main
Signed-By: $keyring
EOF
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS_PACKAGES[@]}" >/dev/null
# nginx and coturn: the tests start their own (harness/hlsCache.ts, harness/turn.ts: own config and
# addresses); the packaged services, which Debian may start at install, are not used. Stopped only
# when installed now.
for service in nginx coturn; do
  if printf '%s\n' "${missing[@]}" | grep -qxF "$service"; then
    if [ -d /run/systemd/system ]; then $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$service" ]; then $SUDO "/etc/init.d/$service" stop >/dev/null 2>&1 || true; fi
  fi
done
meson_ok || { echo "setup-system: meson >= 1.1 not available" >&2; exit 1; }
echo "setup-system: done (meson $(meson --version))"
