#!/usr/bin/env bash
# Starts or stops the local cluster described by a CAF config (default:
# config/local-cluster.ini): one node process per address listed in
# [cluster] workers, hosting every worker listed at that address.
#
#   bash scripts/cluster.sh start [config]   # builds if needed, starts nodes
#   bash scripts/cluster.sh stop  [config]   # stops them (SIGTERM, then KILL)
#   bash scripts/cluster.sh status [config]
#
# The node binary reads the list itself (`node --print-cluster`, CAF's own
# parser), so every valid INI list syntax works, on one line or many, and a
# bad config fails here with the node's message. WORKERS_BUILD_DIR,
# WORKERS_RUN_DIR (pid and log files) and WORKERS_START_SECONDS (how long a
# node may take to listen, 10) override the defaults.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WORKERS_BUILD_DIR:-$root/build}"
node="$build/apps/node"
cmd="${1:-}"
config="$(realpath "${2:-$root/config/local-cluster.ini}")"
start_seconds="${WORKERS_START_SECONDS:-10}"
run_dir="${WORKERS_RUN_DIR:-/tmp/libworkers-cluster}/$(basename "$config" .ini)"
mkdir -p "$run_dir"

# The cluster's nodes, one line each: "NAME[,NAME...] HOST:PORT".
nodes() {
  "$node" --config-file="$config" --print-cluster
}

# Whether process $1 is one of our nodes and alive: not a zombie (kill -0
# succeeds on those) and not another program that got a recycled pid.
alive() {
  local pid="$1" state argv0
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state="$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  case "$state" in Z|X|x|"") return 1 ;; esac
  argv0="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n 1)" || return 1
  [ "$argv0" = "$node" ]
}

# The directory of the cluster's certificates ([cluster] certificates), if
# it names one; relative paths are relative to the checkout.
certificates() {
  { grep -E '^\s*certificates\s*=' "$config" || true; } | head -n 1 \
    | sed -E 's/^[^=]*=\s*"?([^";]*)"?.*/\1/' | sed -E 's/\s+$//'
}

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 30); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
  start)
    [ -x "$node" ] || bash "$root/scripts/setup.sh"
    list="$(nodes)" || { echo "==> cannot read the cluster of $config" >&2; exit 2; }
    certs="$(certificates)"
    if [ -n "$certs" ] && [ ! -f "$root/$certs/ca.pem" ] && [ ! -f "$certs/ca.pem" ]; then
      echo "==> no certificates in $certs yet: making throw-away local ones"
      (cd "$root" && bash scripts/make-certs.sh "$certs")
    fi
    while read -r names address; do
      key="${names//,/+}"
      pidfile="$run_dir/$key.pid"
      log="$run_dir/$key.log"
      if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
        echo "==> $names already running (pid $(cat "$pidfile"))"
        continue
      fi
      "$node" --config-file="$config" --node.workers="[$names]" \
        < /dev/null > "$log" 2>&1 &
      pid=$!
      echo "$pid" > "$pidfile"
      for _ in $(seq 1 $((start_seconds * 10))); do
        grep -q "node: hosting" "$log" && break
        alive "$pid" || break
        sleep 0.1
      done
      if grep -q "node: hosting" "$log"; then
        echo "==> $(grep -m 1 "node: hosting" "$log") (pid $pid)"
      else
        echo "==> $names ($address) failed to start:"; cat "$log"
        stop_pid "$pid"; rm -f "$pidfile"; exit 1
      fi
    done <<< "$list"
    ;;
  stop)
    # Every node this config started, whatever the config says now.
    for pidfile in "$run_dir"/*.pid; do
      [ -f "$pidfile" ] || continue
      pid="$(cat "$pidfile")"
      if alive "$pid"; then
        stop_pid "$pid"
        echo "==> stopped $(basename "$pidfile" .pid | tr + ,) (pid $pid)"
      fi
      rm -f "$pidfile"
    done
    ;;
  status)
    list="$(nodes)" || { echo "==> cannot read the cluster of $config" >&2; exit 2; }
    while read -r names address; do
      pidfile="$run_dir/${names//,/+}.pid"
      if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
        echo "$names ($address): running (pid $(cat "$pidfile"))"
      else
        echo "$names ($address): stopped"
      fi
    done <<< "$list"
    ;;
  *)
    echo "usage: $0 start|stop|status [config]" >&2
    exit 2
    ;;
esac
