#!/usr/bin/env bash
# Installs what libworkers needs (Debian 12 packages only) and builds it.
# Idempotent: installs only missing packages, reuses the build directory.
# Used by scripts/demo.sh and scripts/test.sh; run as root (or with sudo).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKERS_BUILD_DIR:-$root/build}"
# openssl: the tests make TLS certificates with it. dataset-fashion-mnist:
# the federated-learning demo's data (/usr/share/datasets/fashion-mnist).
packages=(g++ cmake ninja-build libcaf-dev libeigen3-dev
          libboost-serialization-dev catch2 openssl dataset-fashion-mnist
          gnuplot-nox)

step() { printf '\n==> %s\n' "$*"; }

step "Checking Debian packages: ${packages[*]}"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  step "Installing missing packages: ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "all present"
fi

step "Configuring ($build)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
step "Building (this takes a few minutes the first time)"
cmake --build "$build" -- -j"$(nproc)"
