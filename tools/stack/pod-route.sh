#!/usr/bin/env bash
# The pod network as a local route (Linux AnyIP): any process may bind any address of the pod
# CIDR, so each matcher replica listens on its pod's own IP. `add` and `del` are idempotent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
present() { [[ -n "$(ip -4 route show table local "$POD_CIDR")" ]]; }
case "${1:-}" in
  add)
    if present; then info "pod network $POD_CIDR is already local"; exit 0; fi
    SUDO=""; [[ $EUID -ne 0 ]] && SUDO=sudo
    $SUDO ip route add local "$POD_CIDR" dev lo || die "cannot add the route 'local $POD_CIDR dev lo' (needs root)"
    info "pod network $POD_CIDR is local (ip route add local $POD_CIDR dev lo)" ;;
  del)
    if ! present; then exit 0; fi
    SUDO=""; [[ $EUID -ne 0 ]] && SUDO=sudo
    $SUDO ip route del local "$POD_CIDR" dev lo
    info "removed the local route for $POD_CIDR" ;;
  *) die "usage: $0 add|del" ;;
esac
