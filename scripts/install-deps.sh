#!/usr/bin/env bash
# Installs the Debian 12 packages fsrelay needs to build, test and run its demo (skips apt when all are there).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev libtinyxml2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
  # sd_notify for Type=notify units; the man page (help2man), bash completion and the .deb (dpkg-dev).
  libsystemd-dev help2man bash-completion dpkg-dev systemd
  rsync inotify-tools python3 jq
  # Real peers for the plugin tests: headless Chromium for the status page, promtool (prometheus) for
  # /metrics, Varnish for the CDN purge.
  chromium prometheus varnish
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

# No tty in CI: never prompt, and wait for another apt run's lock instead of failing at once.
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"
