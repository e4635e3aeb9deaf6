#!/usr/bin/env bash
# Makes a throw-away certificate authority and one certificate per principal
# for local clusters (config/*.ini name DIR in [cluster] certificates):
#
#   bash scripts/make-certs.sh [DIR] [PRINCIPAL...]
#
# DIR (default config/tls) gets ca.pem and, for each principal, NAME.pem and
# NAME.key with the subject CN=NAME: the principal's name in the cluster (a
# node's first worker, or a client's [workers] me). The CA's private key goes
# to DIR/ca-private/, which no process reads: whoever holds it can mint
# identities. Existing files are kept, so running it again only adds the
# principals that are missing. Default principals: the workers of the
# shipped configs, the client "me", and "intruder" (a valid certificate with
# no rights, for the security tests and demo). For local testing only; use
# your own PKI for real deployments.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/config/tls}"
shift || true
principals=("$@")
if [ ${#principals[@]} -eq 0 ]; then
  principals=(bob alice carol secure_worker me model_owner intruder)
fi
command -v openssl > /dev/null || { apt-get update && apt-get install -y openssl; }
mkdir -p "$dir/ca-private"
chmod 700 "$dir/ca-private"
cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
if [ ! -f ca.pem ] || [ ! -f ca-private/ca.key ]; then
  openssl req -x509 "${ec[@]}" -days 365 -keyout ca-private/ca.key -out ca.pem \
    -subj /CN=libworkers-local-ca 2> /dev/null
  echo "==> made a CA: $dir/ca.pem (key in $dir/ca-private/)"
fi
for name in "${principals[@]}"; do
  [ -f "$name.pem" ] && [ -f "$name.key" ] && continue
  openssl req "${ec[@]}" -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$name" 2> /dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-private/ca.key \
    -CAserial ca-private/ca.srl -CAcreateserial -days 365 -out "$name.pem" 2> /dev/null
  chmod 600 "$name.key"
  rm -f "$name.csr"
  echo "==> certificate for $name: $dir/$name.pem"
done
