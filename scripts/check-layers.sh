#!/usr/bin/env bash
# Checks that dependencies flow one way, at the include lines:
#   apps -> actors (+ its bench/) -> libworkers (+ its bench/)
# Every `#include "workers/X"` is resolved to the file it names
# (libworkers/workers/X or actors/workers/X), and a file may include only
# its own layer or those below it:
#   libworkers/{workers,src}          core       -> core
#   libworkers/{workers,src}/bench    bench_core -> core, bench_core
#   actors/{workers,src}              actors     -> core, actors
#   actors/{workers,src}/bench        bench      -> everything but apps
# A header name present in both layers is an error too (the include line
# could not say which). Prints each violation as FILE:LINE: and exits 1,
# or prints "layers: ok (N includes)" and exits 0. Run by ctest (layers).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The layer of the header `workers/X`, or "" if no such header.
layer_of_header() {
  local x="${1#workers/}" in_core="" in_actors=""
  [ -f "libworkers/workers/$x" ] && in_core=1
  [ -f "actors/workers/$x" ] && in_actors=1
  if [ -n "$in_core" ] && [ -n "$in_actors" ]; then
    echo ambiguous
  elif [ -n "$in_core" ]; then
    [[ "$x" == bench/* ]] && echo bench_core || echo core
  elif [ -n "$in_actors" ]; then
    [[ "$x" == bench/* ]] && echo bench || echo actors
  fi
}

# The layer of a source or header file of the tree.
layer_of_file() {
  case "$1" in
    libworkers/workers/bench/* | libworkers/src/bench/*) echo bench_core ;;
    libworkers/*) echo core ;;
    actors/workers/bench/* | actors/src/bench/*) echo bench ;;
    actors/*) echo actors ;;
    *) echo apps ;;
  esac
}

# Whether layer $1 may include layer $2.
allowed() {
  case "$1:$2" in
    core:core) return 0 ;;
    bench_core:core | bench_core:bench_core) return 0 ;;
    actors:core | actors:actors) return 0 ;;
    bench:core | bench:bench_core | bench:actors | bench:bench) return 0 ;;
    apps:*) return 0 ;;
  esac
  return 1
}

bad=0
count=0
while IFS= read -r file; do
  from="$(layer_of_file "$file")"
  while IFS=: read -r line inc; do
    count=$((count + 1))
    to="$(layer_of_header "$inc")"
    if [ -z "$to" ]; then
      echo "$file:$line: includes \"$inc\", which is no header of the tree"
      bad=1
    elif [ "$to" = ambiguous ]; then
      echo "$file:$line: \"$inc\" names a header in libworkers/ and actors/"
      bad=1
    elif ! allowed "$from" "$to"; then
      echo "$file:$line: $from code includes \"$inc\" ($to)"
      bad=1
    fi
  done < <(grep -n '^#include "workers/' "$file" |
           sed -E 's/^([0-9]+):#include "([^"]+)".*/\1:\2/')
done < <(find libworkers actors apps -name '*.hpp' -o -name '*.cpp' | sort)

if [ "$bad" -ne 0 ]; then
  echo "layers: dependencies must flow apps -> actors -> libworkers"
  exit 1
fi
echo "layers: ok ($count includes)"
