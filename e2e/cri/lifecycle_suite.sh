#!/usr/bin/env bash
# CRI suite 1, pod lifecycle under the `see` handler, through the embedded node stack
# (e2e/node/node.sh) and seectl, as a kubelet would drive it:
# - images pulled through CRI from the stack's registry; sandbox = see's own pause image;
# - a pod with two containers talking over localhost; logs; exec (output and exit code);
# - the pod's IP on the CNI bridge, reachable from the host;
# - issue 4: the pod has ONE shim (and at most one sentry: exactly one once containers run
#   under see-sentry); the same pod under `runc` for comparison;
# - removing the pod leaves no shim, sentry, mount, cgroup, netns, CNI allocation, bridge port,
#   pod/log dir or shim socket;
# - the per-pod memory (PSS) of shim + sentry, printed for the RuntimeClass overhead.
#
#   e2e/cri/lifecycle_suite.sh BIN_DIR     (BIN_DIR: seectl, containerd-shim-see-v2, runsee)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cri_suite_start "${1:-}"

two_container_pod() {
  local name=$1 handler=$2
  cat >"$CRI_WORK/$name.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  runtimeClassName: $handler
  terminationGracePeriodSeconds: 2
  containers:
    - name: server
      image: $BB
      command: ["/bin/sh", "-c"]
      args:
        - mkdir -p /tmp/www && echo "pong from \$(hostname)" >/tmp/www/index.html &&
          echo server up && exec httpd -f -p 8080 -h /tmp/www
    - name: client
      image: $BB
      command: ["/bin/sh", "-c"]
      args:
        - until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done; echo client done;
          exec sleep 3600
EOF
}

# pss_kb PID...: summed PSS of the processes (kB).
pss_kb() {
  local p total=0 v
  for p in "$@"; do
    v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

log_has() { see_seectl logs "$1" -c "$2" 2>/dev/null | grep -q "$3"; }

# ---- the two-container pod under see ----
two_container_pod duo see
cri_apply duo || see_finish lifecycle_suite
see_expect_eq "duo: handler" "see" "$(cri_pod_field duo 'p["runtimeHandler"]')"
see_expect_eq "duo: running" "Running 2/2" "$(cri_pod_field duo 'p["status"] + " " + p["ready"]')"
see_expect_match "duo: image pulled from the stack's registry" "^$SEE_REGISTRY/see/busybox" \
  "$(cri_pod_field duo 'p["containers"][0]["image"]')"
see_expect_match "duo: sandbox image is see's pause" "see/pause" \
  "$("${K8S[@]}" containers info "$(cri_pod_field duo 'p["sandboxId"]')" 2>/dev/null | grep -o '"Image": "[^"]*"' | head -1)"

see_check "duo: client reached server over localhost" see_wait_for 30 log_has duo client "pong from duo"
see_check "duo: logs of server" see_wait_for 10 log_has duo server "server up"
see_expect_eq "duo: exec output" "pong from duo" \
  "$(cri_exec duo server cat /tmp/www/index.html 2>&1)"
rc=0
cri_exec duo client /bin/sh -c 'exit 7' >/dev/null 2>&1 || rc=$?
see_expect_eq "duo: exec exit code" 7 "$rc"
see_expect_eq "duo: containers share the network namespace" \
  "$(cri_exec duo server readlink /proc/self/ns/net 2>&1)" "$(cri_exec duo client readlink /proc/self/ns/net 2>&1)"

# CNI: the pod's address is on this stack's bridge; the host (.1) reaches it.
ip=$(cri_exec duo server ip -4 -o addr show eth0 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1 || true)
see_expect_match "duo: pod IP on the bridge subnet" "^${SEE_NODE_SUBNET_PREFIX//./\\.}\." "$ip"
see_expect_eq "duo: host reaches the pod over the bridge" "pong from duo" \
  "$(curl -fsS --max-time 10 "http://$ip:8080/" 2>&1)"

# Issue 4: one shim for the pod (sandbox + 2 containers), at most one sentry.
shims=($(cri_shim_pids))
see_expect_eq "duo: one shim for the pod's three containers" 1 "${#shims[@]}"
sentries=($(cri_sentry_pids_of "${shims[@]}"))
if [[ -n ${SEE_EXPECT_SENTRY:-} ]] || ((${#sentries[@]} > 0)); then
  see_expect_eq "duo: one sentry for the pod" 1 "${#sentries[@]}"
else
  see_log "note: no see-sentry under the shim (containers do not run under the sentry yet)"
fi
# The sentry's whole tree: the pod init and its server (and a pod-mode server's registrar).
sentry_tree=($(see_sentry_tree "${shims[@]}"))
pss=$(pss_kb "${shims[@]}" "${sentry_tree[@]}")
see_log "per-pod PSS: shim+sentry = ${pss} kB (${#shims[@]} shim, ${#sentries[@]} sentry of ${#sentry_tree[@]} processes)"
echo "pss_kb_per_pod $pss" >"$CRI_WORK/pss"
cri_record_sockets

rc=0
see_seectl delete pod duo --now >"$CRI_WORK/delete.out" 2>&1 || rc=$?
see_expect_eq "duo: delete" 0 "$rc"
see_expect_eq "duo: gone from CRI" "" "$(cri_pod_json duo)"
cri_expect_clean duo

# ---- the same pod under runc: the stack serves both handlers ----
two_container_pod duo-runc runc
if cri_apply duo-runc; then
  see_expect_eq "duo-runc: handler" "runc" "$(cri_pod_field duo-runc 'p["runtimeHandler"]')"
  see_check "duo-runc: client reached server" see_wait_for 30 log_has duo-runc client "pong from duo-runc"
  see_expect_eq "duo-runc: no see shim" "" "$(cri_shim_pids)"
  see_check "duo-runc: delete" see_seectl delete pod duo-runc --now
  see_expect_eq "duo-runc: gone" "" "$(cri_pod_json duo-runc)"
fi

# ---- a pod whose only container exits: completion and exit code reported ----
cat >"$CRI_WORK/once.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  runtimeClassName: see
  restartPolicy: Never
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "echo finished; exit 3"]
EOF
see_seectl_apply -f "$CRI_WORK/once.yaml" >/dev/null 2>&1 || see_fail "once: apply"
out=$(see_seectl wait once --for completion --timeout 60 2>&1 || true)
see_expect_eq "once: exit code reported" "main: exited 3 (Error)" "$out"
see_expect_eq "once: log" "finished" "$(see_seectl logs once -c main 2>&1)"
see_check "once: delete" see_seectl delete pod once --now
cri_expect_clean "all pods"

see_finish lifecycle_suite
