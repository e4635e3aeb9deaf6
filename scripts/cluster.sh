#!/usr/bin/env bash
# Starts or stops the local cluster described by a CAF config (default:
# config/local-cluster.ini): one node process per worker listed in
# [cluster] workers, on the addresses listed there.
#
#   bash scripts/cluster.sh start [config]   # builds if needed, starts nodes
#   bash scripts/cluster.sh stop  [config]   # stops them (SIGTERM, then KILL)
#   bash scripts/cluster.sh status [config]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKERS_BUILD_DIR:-$root/build}"
cmd="${1:-}"
config="$(realpath "${2:-$root/config/local-cluster.ini}")"
run_dir="${WORKERS_RUN_DIR:-/tmp/libworkers-cluster}/$(basename "$config" .ini)"
mkdir -p "$run_dir"

# Worker names from the config's "workers=[...]" line of [cluster].
names() {
  grep -E '^\s*workers\s*=' "$config" | head -n 1 \
    | grep -oE '"[^"@]+@' | tr -d '"@'
}

# The directory of the cluster's certificates ([cluster] certificates), if
# it names one; relative paths are relative to the checkout.
certificates() {
  grep -E '^\s*certificates\s*=' "$config" | head -n 1 \
    | sed -E 's/^[^=]*=\s*"?([^";]*)"?.*/\1/' | sed -E 's/\s+$//'
}

case "$cmd" in
  start)
    [ -x "$build/apps/node" ] || bash "$root/scripts/setup.sh"
    certs="$(certificates)"
    if [ -n "$certs" ] && [ ! -f "$root/$certs/ca.pem" ] && [ ! -f "$certs/ca.pem" ]; then
      echo "==> no certificates in $certs yet: making throw-away local ones"
      (cd "$root" && bash scripts/make-certs.sh "$certs")
    fi
    for name in $(names); do
      if [ -f "$run_dir/$name.pid" ] && kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null; then
        echo "==> $name already running (pid $(cat "$run_dir/$name.pid"))"
        continue
      fi
      "$build/apps/node" --config-file="$config" --node.workers="[$name]" \
        > "$run_dir/$name.log" 2>&1 &
      echo $! > "$run_dir/$name.pid"
      for _ in $(seq 1 50); do
        grep -q "node: hosting" "$run_dir/$name.log" && break
        kill -0 "$(cat "$run_dir/$name.pid")" 2>/dev/null || break
        sleep 0.1
      done
      if grep -q "node: hosting" "$run_dir/$name.log"; then
        echo "==> $(head -n 1 "$run_dir/$name.log") (pid $(cat "$run_dir/$name.pid"))"
      else
        echo "==> $name failed to start:"; cat "$run_dir/$name.log"; exit 1
      fi
    done
    ;;
  stop)
    for name in $(names); do
      pidfile="$run_dir/$name.pid"
      [ -f "$pidfile" ] || continue
      pid="$(cat "$pidfile")"
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "==> stopped $name (pid $pid)"
      fi
      rm -f "$pidfile"
    done
    ;;
  status)
    for name in $(names); do
      pidfile="$run_dir/$name.pid"
      if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "$name: running (pid $(cat "$pidfile"))"
      else
        echo "$name: stopped"
      fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status [config]" >&2
    exit 2
    ;;
esac
