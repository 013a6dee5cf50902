#!/usr/bin/env bash
# CRI suite 3, per-pod egress policy (pod annotation see.dev/egress, enforced by the see shim in
# the pod's network namespace): two test servers in network namespaces this suite creates and
# attaches to the stack's bridge (private addresses only); a pod without policy reaches both
# (so a refusal below is the policy, not the network); a pod whose policy allows server A
# reaches A and is refused B; a pod with an empty policy (nothing but loopback) reaches neither;
# a malformed policy fails the pod's creation; the pod cannot remove its policy (no CAP_NET_ADMIN).
#
#   e2e/cri/egress_suite.sh BIN_DIR
# Exit 77 (CTest: skipped) when the shim does not know the annotation yet.
# Annotation format: shim/egress.h (e.g. "10.213.1.2:8080"; "" allows nothing but loopback).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BIN=$(readlink -f "${1:?usage: egress_suite.sh BIN_DIR}")
if ! grep -qaF "see.dev/egress" "$BIN/containerd-shim-see-v2" 2>/dev/null; then
  echo "egress_suite: containerd-shim-see-v2 has no see.dev/egress support yet; skipped" >&2
  exit 77
fi
cri_suite_start "$BIN"

# ---- two servers, each in a netns of its own on the bridge ----
see_node_test_server a 2 "server a" || see_fail "server A did not start"
see_node_test_server b 3 "server b" || see_fail "server B did not start"
A=$SEE_NODE_SUBNET_PREFIX.2
B=$SEE_NODE_SUBNET_PREFIX.3

# egress_pod APPLY NAME [ANNOTATION_VALUE]: no third argument, no annotation.
egress_pod() {
  local apply=$1 name=$2 has_policy=$(($# > 2)) policy=${3:-}
  {
    cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
EOF
    if ((has_policy)); then printf '  annotations:\n    see.dev/egress: "%s"\n' "$policy"; fi
    cat <<EOF
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "exec sleep 3600"]
EOF
  } >"$CRI_WORK/$name.yaml"
  "$apply" "$name"
}

fetch() { cri_exec "$1" main timeout 5 wget -qO- "http://$2:8080/" 2>/dev/null || echo refused; }

egress_pod cri_apply open
see_expect_eq "no policy: A reachable" "server a" "$(fetch open "$A")"
see_expect_eq "no policy: B reachable" "server b" "$(fetch open "$B")"

egress_pod cri_apply allow-a "dns, $A:8080"
see_expect_eq "allow A: A reachable" "server a" "$(fetch allow-a "$A")"
see_expect_eq "allow A: B refused" "refused" "$(fetch allow-a "$B")"
rc=0
cri_exec allow-a main ip route del default >/dev/null 2>&1 || rc=$?
see_check "allow A: the pod cannot change its network (ip route del refused)" test "$rc" -ne 0

egress_pod cri_apply deny-all ""
see_expect_eq "deny: A refused" "refused" "$(fetch deny-all "$A")"
see_expect_eq "deny: B refused" "refused" "$(fetch deny-all "$B")"

# A malformed policy: the container is not created, the error names the entry.
if egress_pod cri_try_apply bad "10.0.0.0/99"; then
  see_fail "malformed policy: pod created"
else
  see_expect_match "malformed policy refused, naming the entry" "10\.0\.0\.0/99" "$(cat "$CRI_WORK/bad.apply")"
fi
see_seectl delete pod bad --now >/dev/null 2>&1 || true

cri_record_sockets
for p in open allow-a deny-all; do see_check "$p: delete" see_seectl delete pod "$p" --now; done
cri_expect_clean egress
see_finish egress_suite
