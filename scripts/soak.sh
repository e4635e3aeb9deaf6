#!/usr/bin/env bash
# The soak run: a mixed workload across three node processes (bob, alice,
# carol) for an hour by default, checking every value and sampling each
# node's RSS (tests/soak.cpp). Sets up and builds like scripts/test.sh, writes
# the samples to build/soak.csv and, if gnuplot is installed, plots RSS per
# node over time to build/soak.png. Passes if there were no errors, no wrong
# values and no node grew by 5 % or more over the last half of the run.
#   scripts/soak.sh [minutes] [more soak options, e.g. --sample=10 --seed=7]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKERS_BUILD_DIR:-$root/build}"
minutes="${1:-60}"
shift $(($# > 0 ? 1 : 0))
csv="$build/soak.csv"
png="$build/soak.png"

step() { printf '\n==> %s\n' "$*"; }

bash "$root/scripts/setup.sh"

step "Soaking for $minutes min across 3 node processes (samples in $csv)"
rm -f "$csv" "$png"
status=0
"$build/tests/soak" --minutes="$minutes" --csv="$csv" "$@" || status=$?

if [ ! -s "$csv" ]; then
  step "No samples written: nothing to plot"
elif command -v gnuplot > /dev/null; then
  step "Plotting node RSS over time: $png"
  gnuplot <<EOF
set terminal pngcairo size 960,540
set output '$png'
set datafile separator ','
set title 'libworkers soak: node RSS ($minutes min)'
set xlabel 'elapsed (min)'
set ylabel 'RSS (MiB)'
set yrange [0:*]
set key top left
set grid
set termoption noenhanced
plot for [i=5:7] '$csv' using (\$1/60):(column(i)/1024.0) \
  with linespoints title columnhead(i)
EOF
else
  step "gnuplot not found: no plot (the samples are in $csv)"
fi

if ((status == 0)); then
  step "Soak passed"
else
  step "Soak failed (exit $status); see the summary above"
fi
exit "$status"
