#!/usr/bin/env bash
# Sets everything up, runs the whole test suite with ctest (the gcc build),
# then checks that the libraries and apps build warning-free with clang too
# and that a clang-built program runs (scripts/check-clang.sh, about 1 min
# on 2 cores; WORKERS_CHECK_CLANG=0 skips it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
printf '\n==> Running the test suite (ctest)\n'
(cd "${WORKERS_BUILD_DIR:-$root/build}" &&
   ctest --output-on-failure -j"$(nproc)" --timeout 300)
if [ "${WORKERS_CHECK_CLANG:-1}" != 0 ]; then
  bash "$root/scripts/check-clang.sh"
fi
