#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine, then the npm packages.
# Real clients and servers come from apt: libnbd (nbdinfo, nbdcopy, nbdsh's Python module),
# libiscsi's tools (iscsi-inq, iscsi-ls, iscsi-readcapacity16, iscsi-test-cu), qemu-img/qemu-io
# (with qemu-block-extra for iscsi://), nbdkit, fio, and Ceph's radosgw (the tests start a
# throw-away one on loopback), redis-server and nginx (the control-plane cluster test starts its
# own on loopback), and Debian's chromium (Playwright drives the headless console in it).
# Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(libnbd-bin python3-libnbd libiscsi-bin qemu-utils qemu-block-extra nbdkit fio jq curl uuid-runtime
      ceph-mon ceph-osd radosgw ceph-common redis-server nginx chromium)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
# No browser or Electron binary is downloaded: Playwright uses /usr/bin/chromium, and nothing
# needs Electron's binary to build or test.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ELECTRON_SKIP_BINARY_DOWNLOAD=1
npm ci --no-audit --no-fund
