#!/usr/bin/env bash
# Installs what Lockstep needs on a fresh Debian/Ubuntu machine (OpenMPI, OpenBLAS, pkg-config) when it
# is missing, then builds. Usage: launch/setup.sh [debug|release]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in libopenmpi-dev openmpi-bin libopenblas-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

source launch/env.sh
command -v swift >/dev/null 2>&1 || { echo "error: no Swift toolchain on PATH (Swift 6 is needed)" >&2; exit 1; }

configuration="${1:-release}"
swift build -c "$configuration" --product lockstep >&2
