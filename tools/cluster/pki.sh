#!/usr/bin/env bash
# Generate the local cluster's certificates with openssl into .local/pki (idempotent: existing
# files are kept, so a restart keeps every client's trust). One CA signs everything:
#   apiserver          serving certificate for 127.0.0.1 / localhost / kubernetes.default.svc
#   admin              client, O=system:masters (the kubeconfig users and the tests get)
#   controller-manager client, CN=system:kube-controller-manager (bound by the default RBAC)
#   scheduler          client, CN=system:kube-scheduler (bound by the default RBAC)
#   kwok               client for kwok, which plays every fake node's kubelet
#   sa.key / sa.pub    service-account token signing key pair
#   front-proxy-ca / front-proxy-client: the aggregation layer's request-header identity, so
#                      aggregated APIs (metrics-server, ...) and the components' delegated
#                      authentication trust the apiserver's proxied requests
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || die "openssl is required (apt-get install openssl)"
mkdir -p "$PKI"
cd "$PKI"

DAYS=3650
if [[ ! -f ca.crt ]]; then
  log "generating the cluster CA (.local/pki)"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$DAYS" \
    -subj "/CN=plimsoll-local-ca" 2>/dev/null
fi

# cert NAME SUBJECT EXTENSIONS
cert() {
  local name="$1" subj="$2" ext="$3"
  [[ -f "$name.crt" && -f "$name.key" ]] && return 0
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" \
    -days "$DAYS" -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

CLIENT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
cert admin "/O=system:masters/CN=plimsoll-admin" "$CLIENT"
cert controller-manager "/CN=system:kube-controller-manager" "$CLIENT"
cert scheduler "/CN=system:kube-scheduler" "$CLIENT"
cert kwok "/O=system:masters/CN=kwok" "$CLIENT"

if [[ ! -f front-proxy-ca.crt ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt \
    -days "$DAYS" -subj "/CN=plimsoll-local-front-proxy-ca" 2>/dev/null
fi
if [[ ! -f front-proxy-client.crt ]]; then
  openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr \
    -subj "/CN=front-proxy-client" 2>/dev/null
  printf '%s\n' "$CLIENT" > front-proxy-client.ext
  openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key \
    -CAcreateserial -out front-proxy-client.crt -days "$DAYS" -extfile front-proxy-client.ext 2>/dev/null
  rm -f front-proxy-client.csr front-proxy-client.ext
fi

if [[ ! -f sa.key ]]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi
chmod 600 ./*.key
