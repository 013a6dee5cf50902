#!/usr/bin/env bash
# CRI suite 4, density: N pods (default 20) under the `see` handler started concurrently (one
# seectl apply each, in parallel, as a kubelet's pod workers would) all run; each answers an
# exec; one shim per pod; deleting them concurrently leaves nothing behind (shims, sentries,
# mounts, cgroups, netns, CNI allocations, bridge ports, sockets).
#
#   e2e/cri/scale_suite.sh BIN_DIR [N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cri_suite_start "${1:-}"
N=${2:-20}

for i in $(seq "$N"); do
  cat >"$CRI_WORK/p$i.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: p$i
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "echo pod p$i ready; exec sleep 3600"]
      resources:
        limits: {memory: "32Mi"}
EOF
done

# The image is pulled once up front so the concurrent applies race on sandboxes, not on a pull.
if ! see_seectl_apply -f "$CRI_WORK/p1.yaml" --wait --wait-timeout 120 >"$CRI_WORK/p1.apply" 2>&1; then
  see_fail "p1 (pulls the image): $(tail -3 "$CRI_WORK/p1.apply")"
  see_finish scale_suite
fi

pids=()
for i in $(seq 2 "$N"); do
  see_seectl_apply -f "$CRI_WORK/p$i.yaml" --wait --wait-timeout 300 >"$CRI_WORK/p$i.apply" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { failed=$((failed + 1)); see_log "p$((i + 2)): $(tail -3 "$CRI_WORK/p$((i + 2)).apply")"; }
done
see_expect_eq "$N concurrent applies succeeded" 0 "$failed"

running=$(see_seectl get pods -o json | python3 -c 'import json, sys
print(sum(1 for p in json.load(sys.stdin)["items"] if p["status"] == "Running"))')
see_expect_eq "all $N pods Running" "$N" "$running"
ok=0
for i in $(seq "$N"); do
  [[ $(cri_exec "p$i" main cat /proc/1/cmdline 2>/dev/null | tr '\0' ' ') == "sleep 3600 " ]] && ok=$((ok + 1))
done
see_expect_eq "all $N pods answer exec" "$N" "$ok"
see_expect_eq "one shim per pod" "$N" "$(cri_shim_pids | wc -l)"
ips=$(for i in $(seq "$N"); do cri_exec "p$i" main ip -4 -o addr show eth0 2>/dev/null | awk '{ print $4 }' || true; done | sort -u | wc -l)
see_expect_eq "$N distinct pod IPs" "$N" "$ips"
cri_record_sockets

pids=()
for i in $(seq "$N"); do
  see_seectl delete pod "p$i" --now >"$CRI_WORK/p$i.delete" 2>&1 &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
see_expect_eq "$N concurrent deletes succeeded" 0 "$failed"
see_expect_eq "no pods listed" "0" "$(see_seectl get pods -o json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')"
cri_expect_clean "$N pods"

see_finish scale_suite
