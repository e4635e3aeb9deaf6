#!/usr/bin/env bash
# Makes a throw-away CA and one node certificate signed by it for the TLS
# example cluster (config/tls-cluster.ini): config/tls/{ca.pem,node.pem,node.key}.
# For local testing only; use your own PKI for real deployments.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/config/tls}"
command -v openssl > /dev/null || { apt-get update && apt-get install -y openssl; }
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca.key -out ca.pem \
  -subj /CN=libworkers-local-ca 2> /dev/null
openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr \
  -subj /CN=localhost 2> /dev/null
openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 30 -out node.pem 2> /dev/null
rm -f node.csr ca.srl
echo "==> wrote $dir/ca.pem, node.pem, node.key"
