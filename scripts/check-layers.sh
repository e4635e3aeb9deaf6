#!/usr/bin/env bash
# Checks that dependencies flow one way, at the include lines:
#   apps -> fl / bench -> actors -> core
# Each library has its folder, and its include lines say which it is:
#   libworkers/core    core    "workers/X"
#   libworkers/fl      fl      "workers/fl/X"
#   actors/runtime     actors  "workers/actors/X"
#   actors/bench       bench   "workers/bench/X"
#   apps               apps    (executables: wiring only)
# Every `#include "workers/..."` is resolved to the file it names, and a file
# may include only its own library or those below it:
#   core -> core;  actors -> core, actors;  fl -> core, fl;
#   bench -> core, actors, bench;  apps -> anything.
# Prints each violation as FILE:LINE: and exits 1, or prints
# "layers: ok (N includes)" and exits 0. Run by ctest (layers).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The library of the header `workers/...` (its include line), or "" if the
# tree has no such header.
layer_of_header() {
  local inc="$1" layer path
  case "$inc" in
    workers/fl/*) layer=fl path="libworkers/fl/$inc" ;;
    workers/actors/*) layer=actors path="actors/runtime/$inc" ;;
    workers/bench/*) layer=bench path="actors/bench/$inc" ;;
    *) layer=core path="libworkers/core/$inc" ;;
  esac
  [ -f "$path" ] && echo "$layer" || true
}

# The library of a source or header file of the tree.
layer_of_file() {
  case "$1" in
    libworkers/core/*) echo core ;;
    libworkers/fl/*) echo fl ;;
    actors/runtime/*) echo actors ;;
    actors/bench/*) echo bench ;;
    apps/*) echo apps ;;
    *) echo unknown ;;
  esac
}

# Whether library $1 may include library $2.
allowed() {
  case "$1:$2" in
    core:core) return 0 ;;
    actors:core | actors:actors) return 0 ;;
    fl:core | fl:fl) return 0 ;;
    bench:core | bench:actors | bench:bench) return 0 ;;
    apps:*) return 0 ;;
  esac
  return 1
}

bad=0
count=0
while IFS= read -r file; do
  from="$(layer_of_file "$file")"
  if [ "$from" = unknown ]; then
    echo "$file: in no library folder (libworkers/{core,fl}, actors/{runtime,bench}, apps)"
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    count=$((count + 1))
    to="$(layer_of_header "$inc")"
    if [ -z "$to" ]; then
      echo "$file:$line: includes \"$inc\", which is no header of the tree" \
           "(core: workers/X, actors: workers/actors/X, fl: workers/fl/X," \
           "bench: workers/bench/X)"
      bad=1
    elif ! allowed "$from" "$to"; then
      echo "$file:$line: $from code includes \"$inc\" ($to)"
      bad=1
    fi
  done < <(grep -n '^#include "workers/' "$file" |
           sed -E 's/^([0-9]+):#include "([^"]+)".*/\1:\2/')
done < <(find libworkers actors apps \( -name '*.hpp' -o -name '*.cpp' \) | sort)

if [ "$bad" -ne 0 ]; then
  echo "layers: dependencies must flow apps -> fl / bench -> actors -> core"
  exit 1
fi
echo "layers: ok ($count includes)"
