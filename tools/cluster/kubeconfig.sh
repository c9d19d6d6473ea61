#!/usr/bin/env bash
# Write one kubeconfig per identity into .local/pki/<name>.kubeconfig, and the admin one to
# .local/kubeconfig (what `make cluster` prints and the tests use). Certificates are embedded so
# a kubeconfig can be copied elsewhere.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

b64() { base64 -w0 < "$1"; }
write() {
  local name="$1" out="$2"
  cat > "$out.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: plimsoll-local
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: ${name}
  user:
    client-certificate-data: $(b64 "$PKI/$name.crt")
    client-key-data: $(b64 "$PKI/$name.key")
contexts:
- name: plimsoll-local
  context:
    cluster: plimsoll-local
    user: ${name}
current-context: plimsoll-local
KC
  chmod 600 "$out.tmp"
  mv "$out.tmp" "$out"
}
for n in admin controller-manager scheduler kwok; do write "$n" "$PKI/$n.kubeconfig"; done
write admin "$KUBECONFIG_OUT"
