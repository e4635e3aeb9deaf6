#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
printf '\n==> Running the test suite (ctest)\n'
cd "${WORKERS_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)" --timeout 300
