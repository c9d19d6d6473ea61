#!/usr/bin/env bash
# A second kube-apiserver of the local cluster, on the same etcd with the same flags and
# certificates, on another port: the Kubernetes way to run several apiservers (HA). Tests restart
# it to prove that clients reconnect, without disturbing the main apiserver other tests use.
#
#   apiserver-replica.sh start NAME PORT   start (or reuse) it, wait for /readyz, write
#                                          .local/NAME.kubeconfig (admin identity)
#   apiserver-replica.sh stop NAME         stop it (SIGTERM, then SIGKILL after 10 s)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

cmd="${1:?usage: $0 start NAME PORT | stop NAME}"
name="${2:?name}"
[[ "$name" =~ ^[a-z0-9-]+$ ]] || die "bad name: $name"

case "$cmd" in
  start)
    port="${3:?port}"
    [[ -x "$BIN/kube-apiserver" && -f "$PKI/ca.crt" ]] || die "start the cluster first: make cluster"
    if ! is_running "$name"; then
      log "starting $name on 127.0.0.1:$port (log: .local/logs/$name.log)"
      # shellcheck disable=SC2046 # apiserver_args is a list of words without spaces
      setsid nohup "$BIN/kube-apiserver" $(apiserver_args "$port") >> "$LOGS/$name.log" 2>&1 < /dev/null &
      echo $! > "$RUN/$name.pid"
    fi
    sed "s#https://127.0.0.1:${APISERVER_PORT}#https://127.0.0.1:${port}#" "$KUBECONFIG_OUT" > "$LOCAL/$name.kubeconfig"
    deadline=$(( $(date +%s) + 120 ))
    until curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
        "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
      is_running "$name" || { tail -n 20 "$LOGS/$name.log" >&2; die "$name exited"; }
      (( $(date +%s) < deadline )) || die "$name not ready after 120s"
      sleep 0.3
    done
    log "$name ready: $LOCAL/$name.kubeconfig"
    ;;
  stop)
    pid="$(pid_of "$name")"
    if is_running "$name"; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$RUN/$name.pid"
    ;;
  *) die "unknown command: $cmd" ;;
esac
