#!/usr/bin/env bash
# Installs what libworkers needs (Debian 12 packages only) and builds it.
# Idempotent: installs only missing packages, reuses the build directory.
# Used by scripts/demo.sh and scripts/test.sh; run as root (or with sudo).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKERS_BUILD_DIR:-$root/build}"
# zlib1g-dev: the datasets are gzip-compressed. libssl-dev: the gate runs
# TLS with OpenSSL. openssl: the tests and
# scripts/make-certs.sh make TLS certificates with it. dataset-fashion-mnist:
# the federated-learning demo's data (/usr/share/datasets/fashion-mnist).
packages=(g++ cmake ninja-build libcaf-dev libeigen3-dev
          libboost-serialization-dev zlib1g-dev catch2 libssl-dev openssl
          dataset-fashion-mnist
          gnuplot-nox)

source "$root/scripts/packages.sh"
install_missing "${packages[@]}"

step "Configuring ($build)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
step "Building (this takes a few minutes the first time)"
cmake --build "$build" -- -j"$(nproc)"
