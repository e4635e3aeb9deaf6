#!/usr/bin/env bash
# A cluster of separate hosts on one machine: three nodes and a client, each
# in a network namespace of its own with its own address on a bridge, over
# TLS (the default) with certificates from scripts/make-certs.sh. Run by
# ctest (tests/CMakeLists.txt: netns_cluster) as
#
#   bash tests/netns/cluster.sh NODE_BINARY CLIENT_BINARY MAKE_CERTS
#
#   namespace  address          runs
#   <id>-h1    10.77.0.1        node bob    (binds 10.77.0.1)
#   <id>-h2    10.77.0.2        node alice  (binds 10.77.0.2)
#   <id>-h3    10.77.0.3        node carol  (binds 0.0.0.0, advertises 10.77.0.3)
#   <id>-cl    10.77.0.100      tests/netns/client.cpp
#   <id>-sw    -                the bridge joining them
#
# Loopback stays down in every namespace, so anything that assumed
# 127.0.0.1 would fail. Data planes bind from fixed ranges (nodes
# 40100-40199, the client 40200-40299), and the script checks with ss that
# the 16 MiB tensor went host to host over them (alice -> carol, carol ->
# client). Exits 0 if the client's checks passed, 1 if not, 77 (ctest's
# skip) with the reason where namespaces cannot be made (not root, no `ip`,
# no veth). Every wait is bounded, and namespaces and processes go on any
# exit (trap).
set -uo pipefail

node_bin="${1:?usage: cluster.sh NODE_BINARY CLIENT_BINARY MAKE_CERTS}"
client_bin="${2:?usage: cluster.sh NODE_BINARY CLIENT_BINARY MAKE_CERTS}"
make_certs="${3:?usage: cluster.sh NODE_BINARY CLIENT_BINARY MAKE_CERTS}"

skip() {
  echo "SKIPPED: $*" >&2
  exit 77
}

[ "$(id -u)" -eq 0 ] || skip "network namespaces need root (uid $(id -u))"
command -v ip > /dev/null || skip "no 'ip' command (iproute2)"
command -v ss > /dev/null || skip "no 'ss' command (iproute2)"
command -v openssl > /dev/null || skip "no openssl to make certificates"

# Unique per run: two runs at once (or a leftover of a killed run) do not
# collide. Interface names live inside the namespaces, so they can repeat.
id="wk$$x$RANDOM"
sw="$id-sw"
cl="$id-cl"
hosts=("$id-h1" "$id-h2" "$id-h3")
addrs=(10.77.0.1 10.77.0.2 10.77.0.3)
names=(bob alice carol)
client_addr=10.77.0.100
work="$(mktemp -d /tmp/workers-netns-XXXXXX)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2> /dev/null
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2> /dev/null
  done
  for ns in "${hosts[@]}" "$cl" "$sw"; do
    ip netns del "$ns" 2> /dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAILED: $*" >&2
  for i in 0 1 2; do
    echo "--- node ${names[$i]} (${hosts[$i]}):" >&2
    cat "$work/${names[$i]}.log" >&2 2> /dev/null
  done
  exit 1
}

ip netns add "$sw" 2> "$work/err" ||
  skip "cannot make a network namespace: $(cat "$work/err")"
ip -n "$sw" link add br0 type bridge 2> "$work/err" ||
  skip "cannot make a bridge: $(cat "$work/err")"
ip -n "$sw" link set br0 up || fail "bridge up"

# Namespace $1 gets eth0 (address $2/24) on the bridge through port $3.
attach() {
  ip netns add "$1" || fail "ip netns add $1"
  ip -n "$sw" link add "$3" type veth peer name eth0 netns "$1" \
    2> "$work/err" || skip "cannot make a veth pair: $(cat "$work/err")"
  ip -n "$sw" link set "$3" master br0 up || fail "bridge port $3"
  ip -n "$1" addr add "$2/24" dev eth0 || fail "address $2 in $1"
  ip -n "$1" link set eth0 up || fail "eth0 up in $1"
}
for i in 0 1 2; do
  attach "${hosts[$i]}" "${addrs[$i]}" "p$i"
done
attach "$cl" "$client_addr" pc

# Nothing assumes loopback: it is down everywhere.
for ns in "${hosts[@]}" "$cl"; do
  if ip -n "$ns" link show lo | grep -q "state UP"; then
    fail "loopback is up in $ns"
  fi
done

bash "$make_certs" "$work/tls" bob alice carol me > /dev/null ||
  fail "make-certs.sh"
cat > "$work/cluster.ini" <<EOF
[cluster]
workers=[
  "bob@10.77.0.1:27001",
  "alice@10.77.0.2:27001",
  "carol@10.77.0.3:27001",
]
certificates="$work/tls"
EOF

# bob and alice bind their own address (from the cluster list); carol binds
# every address and is reached at the one the cluster list gives.
for i in 0 1 2; do
  extra=()
  [ "${names[$i]}" = carol ] &&
    extra=(--node.host=0.0.0.0 --node.advertised-host=10.77.0.3)
  ip netns exec "${hosts[$i]}" "$node_bin" --config-file="$work/cluster.ini" \
    --node.workers="[${names[$i]}]" --node.data-ports=40100-40199 \
    "${extra[@]}" > "$work/${names[$i]}.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  ok=""
  for _ in $(seq 1 100); do
    grep -q "^node: hosting" "$work/${names[$i]}.log" && ok=1 && break
    kill -0 "${pids[$i]}" 2> /dev/null || break
    sleep 0.2
  done
  [ -n "$ok" ] || fail "node ${names[$i]} did not start within 20 s"
done
# Bounded: the client's namespace reaches each node's port over the bridge.
for i in 0 1 2; do
  ok=""
  for _ in $(seq 1 50); do
    if ip netns exec "$cl" timeout 1 bash -c \
      "exec 3<> /dev/tcp/${addrs[$i]}/27001" 2> /dev/null; then
      ok=1
      break
    fi
    sleep 0.1
  done
  [ -n "$ok" ] || fail "the client's namespace cannot reach ${addrs[$i]}:27001"
done
grep -q "hosting carol on 0.0.0.0:27001" "$work/carol.log" ||
  fail "carol does not bind 0.0.0.0"
grep -q "peers reach it at 10.77.0.3" "$work/carol.log" ||
  fail "carol does not advertise 10.77.0.3"

timeout -s KILL 120 ip netns exec "$cl" "$client_bin" \
  --config-file="$work/cluster.ini" --workers.me=me \
  --workers.data-host="$client_addr" --workers.data-ports=40200-40299
code=$?
[ "$code" -eq 0 ] || fail "the client failed (exit $code)"

# The 16 MiB tensor went over the data planes, host to host: a TCP
# connection (open, or closed in TIME-WAIT) between the reader's address
# and the server's data port, seen from either end.
crossed() { # server-address reader-address port-prefix namespaces...
  local server="$1" reader="$2" prefix="$3"
  shift 3
  for ns in "$@"; do
    ip netns exec "$ns" ss -Htan |
      grep -E "$server:$prefix[0-9]{2}[[:space:]]+$reader:|$reader:[0-9]+[[:space:]]+$server:$prefix[0-9]{2}" &&
      return 0
  done
  return 1
}
crossed 10.77.0.100 10.77.0.2 402 "$cl" "${hosts[1]}" > /dev/null ||
  fail "alice did not read the tensor from the client's data plane"
crossed 10.77.0.2 10.77.0.3 401 "${hosts[1]}" "${hosts[2]}" > /dev/null ||
  fail "carol did not read the tensor from alice's data plane"
crossed 10.77.0.3 10.77.0.100 401 "${hosts[2]}" "$cl" > /dev/null ||
  fail "the client did not read the tensor from carol's data plane"
for i in 0 1 2; do
  kill -0 "${pids[$i]}" 2> /dev/null || fail "node ${names[$i]} died"
done
echo "netns cluster: 3 hosts and a client in namespaces $id-*: all checks passed"
