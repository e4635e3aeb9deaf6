#!/usr/bin/env bash
# Builds the test suite with sanitizers and runs it with ctest:
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   tsan  ThreadSanitizer (build-tsan/)
#   all   both, one after the other (the default)
# Usage: bash scripts/sanitize.sh [asan|tsan|all] [extra ctest arguments]
#   e.g. bash scripts/sanitize.sh tsan -R 'tutorial'
# Installs missing Debian packages first (as setup.sh does; run as root or
# with sudo). Every sanitizer report is counted, also those of the node
# processes the tests start (ASan and TSan write BUILD/sanitizer-logs/*,
# UBSan writes into BUILD/ctest-output.log); a run is clean when every test
# passed and there is no report. Exit status 0 only if every run is clean.
# Environment: WORKERS_SANITIZE_BENCH=1 also builds apps/bench and runs
# bench_smoke (skipped by default: it is a benchmark, slow when sanitized);
# WORKERS_TIMEOUT_SCALE=N overrides the timeout factor (5 for asan, 20 for
# tsan; tests/fixture.hpp); JOBS=N (default 2) for building and ctest.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-all}"
[ $# -gt 0 ] && shift
case "$mode" in
  asan) runs=(asan) ;;
  tsan) runs=(tsan) ;;
  all) runs=(asan tsan) ;;
  *) echo "usage: $0 [asan|tsan|all] [ctest arguments]" >&2; exit 2 ;;
esac
ctest_args=("$@")
jobs="${JOBS:-2}"
# libasan8, libubsan1, libtsan2: gcc 12's sanitizer runtimes. openssl: the TLS
# test's certificates. dataset-fashion-mnist: the federated tests' data.
packages=(g++ cmake ninja-build libcaf-dev libeigen3-dev
          libboost-serialization-dev catch2 openssl dataset-fashion-mnist
          libasan8 libubsan1 libtsan2)

source "$root/scripts/packages.sh"
install_missing "${packages[@]}"

launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
targets=(workers_tests workers_sim node move_and_exit hold_references)
exclude=(-E '^bench_smoke$')
if [ "${WORKERS_SANITIZE_BENCH:-0}" = 1 ]; then
  targets+=(bench)
  exclude=()
fi

summary=()
status=0
for run in "${runs[@]}"; do
  build="$root/build-$run"
  logs="$build/sanitizer-logs"
  case "$run" in
    asan) sanitizer=address; what="AddressSanitizer + UndefinedBehaviorSanitizer" ;;
    tsan) sanitizer=thread; what="ThreadSanitizer" ;;
  esac

  step "[$run] Configuring $build (WORKERS_SANITIZE=$sanitizer, gcc)"
  # CXX=g++: gcc 12 (Debian's clang 14 cannot compile the project yet); it
  # only counts when the build directory is first configured.
  CXX=g++ cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWORKERS_SANITIZE="$sanitizer" \
    "${launcher[@]}" > /dev/null
  step "[$run] Building ${targets[*]} (slow the first time)"
  cmake --build "$build" --target "${targets[@]}" -- -j"$jobs"

  rm -rf "$logs"
  mkdir -p "$logs"
  # ASan and TSan reports go to files (one per process, pid-suffixed), so
  # that those of node processes, whose output no test shows, count too.
  # Suppressions: CAF's code only (the .supp files say why).
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$logs/asan"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/scripts/ubsan.supp:log_path=$logs/ubsan"
  export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp"
  # TSan goes on after a report (halt_on_error=0) to show every race of a
  # test in one run; the process still exits with status 66, so the test
  # fails. history_size=7: the longest history, so that the earlier access
  # of a race keeps its stack (a report without it cannot be matched against
  # the suppressions). suppress_equal_addresses=0: TSan's check for
  # already-reported addresses scans a list that grows with every racy word;
  # a 4 MiB tensor chunk copied out of a CAF message (racy to TSan, see
  # tsan.supp) then takes minutes, which made tests time out. Suppressed
  # reports need no such check; real ones are still deduplicated by stack.
  # ignore_noninstrumented_modules=1: memory functions (memcpy, free, ...)
  # called from an uninstrumented library are not checked. Otherwise CAF's
  # own string and buffer handling inside libstdc++ shows up as races whose
  # stacks hold no frame at all but libstdc++'s (so no suppression can
  # name CAF), e.g. a string built by the multiplexer thread and copied by
  # a detached actor. Our code's own accesses are still checked; copies that
  # libstdc++'s out-of-line functions make for it are not.
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:history_size=7:suppress_equal_addresses=0:ignore_noninstrumented_modules=1:suppressions=$root/scripts/tsan.supp:log_path=$logs/tsan"

  # ctest -V keeps every test's output (UBSan, unlike ASan and TSan, ignores
  # log_path in gcc 12 and reports on stderr) in the log; the console shows
  # one line per test and the failures.
  step "[$run] Running the tests under $what (ctest -j$jobs; full output: $build/ctest-output.log)"
  ctest_log="$build/ctest-output.log"
  set +e
  ctest --test-dir "$build" -V -j"$jobs" "${exclude[@]}" "${ctest_args[@]}" \
    > "$ctest_log" 2>&1 &
  ctest_pid=$!
  tail -n +1 -f --pid="$ctest_pid" "$ctest_log" \
    | grep --line-buffered -E '^ *[0-9]+/[0-9]+ Test +#|% tests passed|The following tests|^[[:space:]]+[0-9]+ - '
  wait "$ctest_pid"
  ctest_status=$?
  set -e

  pattern='ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error: '
  reports=$(grep -cE "$pattern" "$ctest_log" || true)
  report_files=()
  ((reports == 0)) || report_files+=("$ctest_log")
  for f in "$logs"/*; do
    [ -s "$f" ] || continue
    n=$(grep -cE "$pattern" "$f" || true)
    [ "$n" -gt 0 ] || continue
    reports=$((reports + n))
    report_files+=("$f")
  done
  tests_line=$(grep -E 'tests passed, [0-9]+ tests failed' "$ctest_log" | tail -n 1)
  [ -n "$tests_line" ] || tests_line="ctest printed no summary"
  if [ "$ctest_status" -eq 0 ] && [ "$reports" -eq 0 ]; then
    verdict=clean
  else
    verdict="NOT clean"
    status=1
  fi
  summary+=("$run: $verdict: $tests_line; $reports sanitizer report(s) in $logs")
  if ((${#report_files[@]})); then
    step "[$run] Sanitizer reports (first lines of each file)"
    for f in "${report_files[@]}"; do
      echo "--- $f"
      grep -m1 -A12 -E "$pattern" "$f" || true
    done
  fi
done

step "Summary"
printf '%s\n' "${summary[@]}"
exit "$status"
