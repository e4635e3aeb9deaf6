#!/usr/bin/env bash
# Sets everything up, then runs the main demo: PySyft's "Part 3: Advanced
# Remote Execution Tools" tutorial, replayed in C++.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
printf '\n==> Running the tutorial (apps/tutorial.cpp)\n'
"${WORKERS_BUILD_DIR:-$root/build}/apps/tutorial"
