#!/usr/bin/env bash
# Fuzzes libworkers with libFuzzer (clang 14, ASan + UBSan) in build-fuzz/:
#   bash scripts/fuzz.sh                  # every harness, 30 s each
#   bash scripts/fuzz.sh op 300           # one harness for 5 minutes
#   bash scripts/fuzz.sh all 600          # every harness, 10 minutes each
#   bash scripts/fuzz.sh --seeds          # rewrite the seed corpora (gcc, build/)
# Harnesses (tests/fuzz): wire, tensor, op, idx, config. Each run starts from
# tests/fuzz/corpus/<harness>/ and merges the inputs that found new coverage
# back into it (libFuzzer -merge=1: only what adds coverage), so commit the
# corpus after a run. A crash stops the run: its input is saved in
# build-fuzz/crashes/<harness>/ and the script exits 1; turn it into a corpus
# file and a Catch2 test. Prints libFuzzer's final stats per harness
# (executions, cov: covered edges, ft: features); logs in build-fuzz/logs/.
# Runs nice'd (the machine is shared). Installs clang if missing (as root).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
harnesses=(wire tensor op idx config)
build="$root/build-fuzz"
corpus="$root/tests/fuzz/corpus"

launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

if [ "${1:-}" = "--seeds" ]; then
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "${launcher[@]}" > /dev/null
  nice -n 10 cmake --build "$root/build" -j2 --target fuzz_seeds
  "$root/build/tests/fuzz/fuzz_seeds" "$corpus" "$root/config"
  exit 0
fi

which="${1:-all}"
seconds="${2:-30}"
if [ "$which" != "all" ]; then
  case " ${harnesses[*]} " in
    *" $which "*) harnesses=("$which") ;;
    *) echo "usage: $0 [all|${harnesses[*]// /|}] [seconds] | --seeds" >&2
       exit 2 ;;
  esac
fi

source "$root/scripts/packages.sh"
install_missing clang libclang-rt-14-dev

CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DWORKERS_FUZZ=ON "${launcher[@]}" > /dev/null
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
nice -n 10 cmake --build "$build" -j2 --target "${targets[@]}" \
  > "$build/build.log" 2>&1 || { tail -30 "$build/build.log"; exit 1; }

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/scripts/ubsan.supp"
mkdir -p "$build/logs"
status=0
summary=()
for h in "${harnesses[@]}"; do
  work="$build/work/$h"
  crashes="$build/crashes/$h/"
  log="$build/logs/$h.log"
  mkdir -p "$work" "$crashes" "$corpus/$h"
  echo "fuzz_$h: up to ${seconds} s"
  start=$(date +%s)
  if ! nice -n 10 "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" \
      -print_final_stats=1 -rss_limit_mb=2048 -max_len=4096 -timeout=30 \
      -artifact_prefix="$crashes" "$work" "$corpus/$h" > "$log" 2>&1; then
    echo "fuzz_$h: CRASH (input in $crashes, log $log)"
    grep -m 5 -E "ERROR|runtime error|Assertion|terminate" "$log" || true
    status=1
  fi
  elapsed=$(($(date +%s) - start))
  before=$(ls "$corpus/$h" | wc -l)
  nice -n 10 "$build/tests/fuzz/fuzz_$h" -merge=1 -artifact_prefix="$crashes" \
    "$corpus/$h" "$work" \
    >> "$log" 2>&1 || true
  after=$(ls "$corpus/$h" | wc -l)
  execs=$(grep -m 1 "stat::number_of_executed_units" "$log" | awk '{print $2}')
  # The run's last status line: before its "Done" line, its crash report,
  # or the merge's output.
  last=$(awk '/^Done [0-9]+ runs|deadly signal|ERROR|^MERGE/ {exit}
              /^#[0-9]+.* cov: / {line = $0} END {print line}' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  summary+=("fuzz_$h: ${elapsed} s, ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, corpus $before -> $after")
done
printf '%s\n' "${summary[@]}"
exit $status
