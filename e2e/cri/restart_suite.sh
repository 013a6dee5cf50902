#!/usr/bin/env bash
# CRI suite 5, containerd restarted mid-run: two pods under `see` (one serving, one about to
# exit) survive a containerd crash (SIGKILL) and a clean restart (SIGTERM): the same processes
# keep running, CRI lists them Running, exec and logs work, an exit that happens while containerd
# is down is reported afterwards, a new pod starts, and delete removes everything.
#
#   e2e/cri/restart_suite.sh BIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cri_suite_start "${1:-}"

cat >"$CRI_WORK/steady.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: steady
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "echo before restart; exec sleep 3600"]
    - name: ticker
      image: $BB
      command: ["/bin/sh", "-c", "i=0; while :; do i=\$((i + 1)); echo tick \$i; sleep 0.5; done"]
EOF
cat >"$CRI_WORK/short.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: short
spec:
  runtimeClassName: see
  restartPolicy: Never
  containers:
    - name: main
      image: $BB
      # Exits once the suite removes /ctl/hold, which it does while containerd is down.
      command: ["/bin/sh", "-c", "while [ -e /ctl/hold ]; do sleep 0.2; done; echo done; exit 5"]
      volumeMounts:
        - {name: ctl, mountPath: /ctl}
  volumes:
    - name: ctl
      hostPath: {path: $CRI_WORK/short-ctl, type: Directory}
EOF
mkdir -p "$CRI_WORK/short-ctl"
touch "$CRI_WORK/short-ctl/hold"
cri_apply steady || see_finish restart_suite
cri_apply short || see_finish restart_suite
shims_before=$(cri_shim_pids | sort | tr '\n' ' ')
main_pid() { "${K8S[@]}" tasks ls 2>/dev/null | awk -v id="$(cri_container_id steady main)" '$1 == id { print $2 }'; }
pid_before=$(main_pid)

ticks() { see_seectl logs steady -c ticker 2>/dev/null | tail -1 | awk '{ print $2 }'; }
ticks_advance() { local t; t=$(ticks); [[ -n $t && $t -gt $1 ]]; }

short_pid() { "${K8S[@]}" tasks ls 2>/dev/null | awk -v id="$(cri_container_id short main)" '$1 == id { print $2 }'; }
spid=$(short_pid)
# While containerd is down after the crash: `short` exits; its exit must still be reported.
let_short_exit() {
  rm -f "$CRI_WORK/short-ctl/hold"
  see_wait_for 30 bash -c "! kill -0 $spid 2>/dev/null"
}

for sig in KILL TERM; do
  if [[ $sig == KILL ]]; then
    see_check "containerd crashed, short exited meanwhile, restarted" see_node_restart_containerd KILL let_short_exit
  else
    see_check "containerd stopped (SIGTERM) and restarted" see_node_restart_containerd TERM
  fi
  see_expect_eq "SIG$sig: same shims" "$shims_before" "$(cri_shim_pids | sort | tr '\n' ' ')"
  see_expect_eq "SIG$sig: same container process" "$pid_before" "$(main_pid)"
  see_expect_eq "SIG$sig: pod listed Running" "Running" "$(cri_pod_field steady 'p["status"]')"
  see_expect_eq "SIG$sig: exec works" "hello" "$(cri_exec steady main echo hello 2>&1)"
  see_expect_eq "SIG$sig: logs from before" "before restart" "$(see_seectl logs steady -c main 2>&1)"
  t=$(ticks)
  see_check "SIG$sig: logs keep flowing" see_wait_for 20 ticks_advance "${t:-0}"
done
out=$(see_seectl wait short --for completion --timeout 60 2>&1 || true)
see_expect_eq "short: exit reported across the restarts" "main: exited 5 (Error)" "$out"
see_expect_eq "short: its log" "done" "$(see_seectl logs short -c main 2>&1)"

# A new pod after the restarts (same spec; the hold file is gone, so it exits at once).
sed 's/name: short/name: fresh/' "$CRI_WORK/short.yaml" >"$CRI_WORK/fresh.yaml"
see_seectl_apply -f "$CRI_WORK/fresh.yaml" >/dev/null 2>&1 || see_fail "fresh: apply"
see_expect_eq "fresh: runs after the restarts" "main: exited 5 (Error)" \
  "$(see_seectl wait fresh --for completion --timeout 60 2>&1 || true)"

cri_record_sockets
for p in steady short fresh; do see_check "$p: delete" see_seectl delete pod "$p" --now; done
cri_expect_clean "after restarts"
see_finish restart_suite
