#!/usr/bin/env bash
# Builds the README's embedding example (tests/consumer) against libworkers
# the two ways the README describes; ctest runs both (tests/CMakeLists.txt).
#
#   consumer.sh install BUILD_DIR
#       installs the already built BUILD_DIR into BUILD_DIR/consumer/prefix,
#       builds tests/consumer against it with find_package (only main.cpp is
#       compiled), runs it and checks what it prints.
#   consumer.sh subdirectory BUILD_DIR
#       configures tests/consumer with this source tree as a subdirectory and
#       checks that the parent keeps its build type, gets no apps, benchmark
#       or tests, and sees CAF::* (it links CAF::core). Building it would
#       compile the libraries again (minutes), so only WORKERS_CONSUMER_BUILD=1
#       builds, runs and checks it too.
#
# Both first check that README.md's embedding section shows
# tests/consumer/CMakeLists.txt and main.cpp exactly as they are.
# The compiler, its launcher and the generator come from the environment
# (CXX, CMAKE_CXX_COMPILER_LAUNCHER, CMAKE_GENERATOR; ctest sets the build's).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
build="$(cd "${2:?usage: consumer.sh install|subdirectory BUILD_DIR}" && pwd)"
cmake="${CMAKE:-cmake}"
src="$root/tests/consumer"
work="$build/consumer/$mode"
expected="sum of squares on bob: tensor(14)"

fail() { echo "consumer.sh: $*" >&2; exit 1; }

# Each fenced block of README.md's embedding section, one file per block.
check_readme() {
  local blocks="$work/readme" file block found
  mkdir -p "$blocks"
  awk -v dir="$blocks" '
    /^## / { on = ($0 ~ /^## Embedding in your own CAF application/); next }
    on && /^```/ {
      if (inside) { inside = 0; close(out) }
      else { inside = 1; out = dir "/block." ++n; printf "" > out }
      next
    }
    on && inside { print > out }' "$root/README.md"
  for file in CMakeLists.txt main.cpp; do
    found=0
    for block in "$blocks"/block.*; do
      cmp -s "$block" "$src/$file" && found=1
    done
    ((found)) || fail "README.md's embedding section does not show" \
      "tests/consumer/$file as it is; make them the same"
  done
}

# Runs the consumer built in $1 and checks its one line of output.
run_consumer() {
  local out
  out="$("$1/consumer")" || fail "the consumer failed: $out"
  [ "$out" = "$expected" ] || fail "the consumer printed '$out'," \
    "expected '$expected'"
  echo "consumer: $out"
}

# The value of KEY in the CMake cache of build directory $1.
cache_value() {
  sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt"
}

rm -rf "$work"
mkdir -p "$work"
check_readme
case "$mode" in
  install)
    "$cmake" --install "$build" --prefix "$work/prefix" > "$work/install.log"
    "$cmake" -S "$src" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
      > "$work/configure.log" || fail "configuring failed: $work/configure.log"
    "$cmake" --build "$work/build" > "$work/build.log" 2>&1 \
      || fail "building failed: $work/build.log"
    run_consumer "$work/build"
    rm -rf "$work/prefix"   # about 200 MB of static libraries with debug info
    ;;
  subdirectory)
    "$cmake" -S "$src" -B "$work/build" -DWORKERS_SOURCE_DIR="$root" \
      > "$work/configure.log" 2>&1 \
      || fail "configuring failed (CAF::core not visible?): $work/configure.log"
    [ -z "$(cache_value "$work/build" CMAKE_BUILD_TYPE)" ] \
      || fail "libworkers set the parent's CMAKE_BUILD_TYPE"
    for option in WORKERS_BUILD_APPS WORKERS_BUILD_BENCH WORKERS_BUILD_TESTS \
                  WORKERS_INSTALL; do
      [ "$(cache_value "$work/build" "$option")" = OFF ] \
        || fail "$option is not OFF in a parent project"
    done
    echo "consumer: configured as a subdirectory (apps, bench, tests off)"
    if [ "${WORKERS_CONSUMER_BUILD:-0}" = 1 ]; then
      "$cmake" --build "$work/build" -j"$(nproc)" > "$work/build.log" 2>&1 \
        || fail "building failed: $work/build.log"
      run_consumer "$work/build"
    fi
    ;;
  *)
    fail "usage: consumer.sh install|subdirectory BUILD_DIR"
    ;;
esac
