#!/usr/bin/env bash
# The embedded node stack as a long-lived service: a private containerd with the CRI plugin
# (handlers `see` and `runc`), CNI bridge + loopback, see's pause image and a local registry on
# loopback. Never touches a system containerd. What it runs and how it is cleaned up:
# e2e/node/node.sh (tests source that library directly and stop the stack in their EXIT trap).
#
#   scripts/node-stack.sh start     starts the stack (idempotent: an already running one is kept)
#   scripts/node-stack.sh env       prints exports: SEE_CRI_ENDPOINT, SEE_REGISTRY, SEE_NODE_DIR, ...
#                                   eval "$(scripts/node-stack.sh env)"
#   scripts/node-stack.sh status    exit 0 when it runs; prints its components
#   scripts/node-stack.sh push NAME...  pushes more images (scripts/images.sh NAME) to its registry
#   scripts/node-stack.sh stop      removes every pod, stops everything, leaves nothing behind
#
# SEE_NODE_BIN_DIR selects the binaries (default build/bin: containerd-shim-see-v2, runsee,
# seectl); SEE_NODE_IMAGES the images pushed at start (default: pause busybox python3-pandas).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$REPO/e2e/lib/common.sh"
source "$REPO/e2e/lib/containerd.sh"
source "$REPO/e2e/node/node.sh"

STATE=/run/see-node/stack.env

running() {
  [[ -f $STATE ]] || return 1
  # shellcheck source=/dev/null
  source "$STATE"
  [[ -n ${SEE_CTRD_PID:-} ]] && kill -0 "$SEE_CTRD_PID" 2>/dev/null &&
    [[ -d ${SEE_CTRD_DIR:-/nonexistent} ]] && ctr --address "$SEE_CTRD_ADDR" version >/dev/null 2>&1
}

start() {
  if running; then
    see_log "node-stack: already running (containerd pid $SEE_CTRD_PID)"
    return 0
  fi
  [[ -f $STATE ]] && stop
  export SEE_NODE_IMAGES=${SEE_NODE_IMAGES:-pause busybox python3-pandas}
  see_node_start
  # The stack outlives this script: its owner (for the stale-instance reapers of containerd.sh
  # and of the network slots) becomes the containerd process.
  echo "$SEE_CTRD_PID" >"$SEE_CTRD_DIR/owner.pid"
  echo "$SEE_CTRD_PID" >"$SEE_NODE_SLOTS/$SEE_NODE_SLOT/owner"
  mkdir -p "$(dirname "$STATE")"
  see_node_env >"$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
  trap - EXIT INT TERM
  see_log "node-stack: started; eval \"\$($0 env)\""
}

stop() {
  if [[ ! -f $STATE ]]; then
    see_log "node-stack: not running"
    return 0
  fi
  # shellcheck source=/dev/null
  source "$STATE"
  SEE_CLEANUP_HOOKS=(_see_node_cleanup)
  see_node_stop || true
  rm -f "$STATE"
  see_log "node-stack: stopped"
}

status() {
  if ! running; then
    echo "node-stack: not running"
    return 1
  fi
  cat <<EOF
containerd  pid $SEE_CTRD_PID, $SEE_CRI_ENDPOINT, dir $SEE_NODE_DIR
registry    pid $SEE_NODE_REGISTRY_PID, http://$SEE_REGISTRY ($(curl -fsS "http://$SEE_REGISTRY/v2/_catalog" 2>/dev/null || echo unreachable))
cni         bridge $SEE_NODE_BRIDGE, $SEE_NODE_SUBNET_PREFIX.0/24
cri         $(ctr --address "$SEE_CTRD_ADDR" plugins ls | awk '$2 == "cri" { print $NF }')
EOF
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) running && cat "$STATE" || { echo "node-stack: not running" >&2; exit 1; } ;;
  status) status ;;
  push) shift; running || { echo "node-stack: not running" >&2; exit 1; }; see_node_push "$@" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
