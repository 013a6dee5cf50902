#!/usr/bin/env bash
# CRI suite 3, per-pod egress policy (pod annotation see.dev/egress, enforced by the see shim in
# the pod's network namespace): two test servers in network namespaces this suite creates and
# attaches to the stack's bridge (private addresses only); a pod without policy reaches both
# (so a refusal below is the policy, not the network); a pod whose policy allows server A
# reaches A and is refused B; a pod with policy "deny" reaches neither; the pod cannot remove
# its policy (no CAP_NET_ADMIN).
#
#   e2e/cri/egress_suite.sh BIN_DIR
# Exit 77 (CTest: skipped) when the shim does not know the annotation yet.
# SEE_EGRESS_ALLOW_FMT: the annotation value allowing one destination, %s = IP, %d = port
# (default "%s/32:%d").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BIN=$(readlink -f "${1:?usage: egress_suite.sh BIN_DIR}")
if ! grep -qaF "see.dev/egress" "$BIN/containerd-shim-see-v2" 2>/dev/null; then
  echo "egress_suite: containerd-shim-see-v2 has no see.dev/egress support yet; skipped" >&2
  exit 77
fi
cri_suite_start "$BIN"
ALLOW_FMT=${SEE_EGRESS_ALLOW_FMT:-%s/32:%d}

# ---- two servers, each in a netns of its own on the bridge ----
see_node_test_server a 2 "server a" || see_fail "server A did not start"
see_node_test_server b 3 "server b" || see_fail "server B did not start"
A=$SEE_NODE_SUBNET_PREFIX.2
B=$SEE_NODE_SUBNET_PREFIX.3

# egress_pod NAME [ANNOTATION_VALUE]
egress_pod() {
  local name=$1 policy=${2:-}
  {
    cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
EOF
    [[ -n $policy ]] && printf '  annotations:\n    see.dev/egress: "%s"\n' "$policy"
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
  cri_apply "$name"
}

fetch() { cri_exec "$1" main wget -T 3 -qO- "http://$2:8080/" 2>/dev/null || echo refused; }

egress_pod open
see_expect_eq "no policy: A reachable" "server a" "$(fetch open "$A")"
see_expect_eq "no policy: B reachable" "server b" "$(fetch open "$B")"

# shellcheck disable=SC2059
egress_pod allow-a "$(printf "$ALLOW_FMT" "$A" 8080)"
see_expect_eq "allow A: A reachable" "server a" "$(fetch allow-a "$A")"
see_expect_eq "allow A: B refused" "refused" "$(fetch allow-a "$B")"
see_expect_eq "allow A: the host (bridge .1) refused" "refused" \
  "$(cri_exec allow-a main wget -T 3 -qO- "http://$SEE_NODE_SUBNET_PREFIX.1:1/" 2>/dev/null || echo refused)"
rc=0
cri_exec allow-a main ip route del default >/dev/null 2>&1 || rc=$?
see_check "allow A: the pod cannot change its network (ip route del refused)" test "$rc" -ne 0

egress_pod deny-all deny
see_expect_eq "deny: A refused" "refused" "$(fetch deny-all "$A")"
see_expect_eq "deny: B refused" "refused" "$(fetch deny-all "$B")"

cri_record_sockets
for p in open allow-a deny-all; do see_check "$p: delete" see_seectl delete pod "$p" --now; done
cri_expect_clean egress
see_finish egress_suite
