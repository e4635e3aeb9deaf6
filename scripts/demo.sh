#!/usr/bin/env bash
# Sets everything up, then runs the main demos: PySyft's "Part 3: Advanced
# Remote Execution Tools" tutorial, replayed in C++, and federated learning
# on Fashion-MNIST (centralized vs trusted aggregator vs secure aggregation
# vs plain FedAvg, with what each party received; CSV and plot in
# build/fedlearn/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
printf '\n==> Running the tutorial (apps/tutorial.cpp)\n'
"${WORKERS_BUILD_DIR:-$root/build}/apps/tutorial"
printf '\n==> Federated learning on Fashion-MNIST (apps/fedlearn.cpp)\n'
"${WORKERS_BUILD_DIR:-$root/build}/apps/fedlearn" --plan \
  --out="${WORKERS_BUILD_DIR:-$root/build}/fedlearn"
