#!/usr/bin/env bash
# Checks that libworkers builds warning-free with clang 14 too (Debian 12's
# other compiler; the gcc 12 build is the one that runs the tests), and that
# a clang-built program runs:
#   bash scripts/check-clang.sh
# scripts/test.sh (the README's test command, run by CI) runs it after the
# test suite; WORKERS_CHECK_CLANG=0 skips it there.
#
# What it does, in build-clang-check/ (WORKERS_CLANG_BUILD_DIR overrides):
#  1. builds the libraries and the apps (node, status, audit, tutorial,
#     fedlearn) with clang++ -Wall -Wextra -Werror. Not the tests or the
#     benchmark: they would double the time. -O0 without debug info: clang's
#     warnings come from its front end, optimizing finds none more and costs
#     twice the time.
#  2. runs apps/tutorial (one process: config, runtime, workers, pointers,
#     moves) and checks that it ends as it should. Compiling alone missed
#     that every clang-built program crashed on its first config option
#     (cmake/caf_statics.cmake).
#
# Cost on 2 cores, without ccache as in CI: 1.7 min of CPU (77 files and 5
# links), so about 1 min of wall time on an idle machine (3.75 min on the
# shared development machine at a load average of 7); at -O2 -g it took
# 3.7 min of CPU, and the tests would add about as much again. The
# tutorial takes 0.1 s; installing clang (about 50 MB of packages), if
# missing, some more.
# Installs clang if missing (as root).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKERS_CLANG_BUILD_DIR:-$root/build-clang-check}"

source "$root/scripts/packages.sh"
install_missing clang

launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

step "Building the libraries and apps with clang, warnings as errors ($build)"
# Build type None: CMake adds no flags of its own (-O0, no -g); an empty
# one would become RelWithDebInfo (CMakeLists.txt).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS=-Werror \
  -DWORKERS_BUILD_TESTS=OFF -DWORKERS_BUILD_BENCH=OFF -DWORKERS_INSTALL=OFF \
  "${launcher[@]}" > /dev/null
nice -n 10 cmake --build "$build" -- -j"$(nproc)"

step "Running the clang-built tutorial"
expected="me's own store stays empty: {}"
out="$("$build/apps/tutorial" 2>&1)" || {
  printf '%s\n' "$out" | tail -20
  echo "check-clang.sh: the clang-built tutorial failed" >&2
  exit 1
}
last="$(printf '%s\n' "$out" | tail -1)"
if [ "$last" != "$expected" ]; then
  printf '%s\n' "$out" | tail -20
  echo "check-clang.sh: the tutorial ended with '$last'," \
    "expected '$expected'" >&2
  exit 1
fi
echo "clang 14: libraries and apps build without warnings; the tutorial runs"
