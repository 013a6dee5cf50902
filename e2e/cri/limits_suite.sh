#!/usr/bin/env bash
# CRI suite 2, resource limits and stop semantics under the `see` handler (node stack + seectl):
# - a container exceeding its memory limit is OOM-killed and CRI reports reason OOMKilled;
# - the CPU quota and memory limit of the pod spec are what the container sees inside (its cgroup
#   files) and what the host's cgroup holds;
# - deleting a pod honours the grace period: the container gets SIGTERM, keeps running inside the
#   grace period (it logs after the TERM), and is then SIGKILLed (task exit status 137);
# - by the node's default that pod has its own user namespace and its hostPath is id-mapped: its
#   root is an unprivileged host uid and what it writes there is stored as 0.
#
#   e2e/cri/limits_suite.sh BIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cri_suite_start "${1:-}"

# ---- OOM ----
cat >"$CRI_WORK/oom.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: oom
spec:
  runtimeClassName: see
  restartPolicy: Never
  containers:
    - name: hog
      image: $BB
      # tail buffers its input looking for a newline; /dev/zero has none.
      command: ["/bin/sh", "-c", "echo starting; tail /dev/zero"]
      resources:
        limits: {memory: "32Mi"}
EOF
see_seectl_apply -f "$CRI_WORK/oom.yaml" >"$CRI_WORK/oom.apply" 2>&1 || see_fail "oom: apply: $(cat "$CRI_WORK/oom.apply")"
out=$(see_seectl wait oom --for completion --timeout 120 2>&1 || true)
see_expect_eq "oom: reason OOMKilled, exit 137" "hog: exited 137 (OOMKilled)" "$out"
see_expect_eq "oom: reason field" "OOMKilled" "$(cri_pod_field oom 'p["containers"][0]["reason"]')"
see_check "oom: delete" see_seectl delete pod oom --now

# ---- limits visible inside and on the host ----
cat >"$CRI_WORK/limited.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: limited
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "exec sleep 3600"]
      resources:
        requests: {cpu: "250m", memory: "32Mi"}
        limits: {cpu: "500m", memory: "96Mi"}
EOF
if cri_apply limited; then
  # cgroup v1 (this host: hybrid) or v2, as the container sees its own cgroup.
  inside=$(cri_exec limited main /bin/sh -c '
    if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
      echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
      echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
    else
      echo "mem $(cat /sys/fs/cgroup/memory.max)"
      echo "cpu $(cat /sys/fs/cgroup/cpu.max)"
    fi' 2>&1 || true)
  see_expect_match "limited: memory limit inside = 96Mi" "mem $((96 << 20))" "$inside"
  see_expect_match "limited: CPU quota inside = 500m" "cpu 50000 100000" "$inside"
  # The host's view: the container's cgroup under this node's cgroup parent.
  cid=$(cri_container_id limited main)
  host_mem=$(find /sys/fs/cgroup/memory/"${SEE_NODE_CGROUP_PARENT#/}" -type d -name "*$cid*" 2>/dev/null | head -1)
  if [[ -n $host_mem ]]; then
    see_expect_eq "limited: host cgroup memory limit" $((96 << 20)) "$(cat "$host_mem/memory.limit_in_bytes")"
  else
    host_mem=$(find /sys/fs/cgroup/unified/"${SEE_NODE_CGROUP_PARENT#/}" /sys/fs/cgroup/"${SEE_NODE_CGROUP_PARENT#/}" \
      -type d -name "*$cid*" 2>/dev/null | head -1)
    see_expect_eq "limited: host cgroup memory.max" $((96 << 20)) "$(cat "$host_mem/memory.max" 2>/dev/null)"
  fi
  meminfo=$(cri_exec limited main awk '/^MemTotal:/ { print $2 }' /proc/meminfo 2>&1 || true)
  see_log "limited: /proc/meminfo MemTotal inside = $meminfo kB (host $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) kB)"
  if [[ -n ${SEE_EXPECT_SENTRY:-} ]]; then
    see_expect_eq "limited: /proc/meminfo MemTotal is the limit (sentry view)" $((96 << 10)) "$meminfo"
  fi
  see_check "limited: delete" see_seectl delete pod limited --now
fi

# ---- grace period, then SIGKILL ----
cat >"$CRI_WORK/graceful.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: graceful
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 30
  containers:
    - name: stubborn
      image: $BB
      volumeMounts:
        - {name: out, mountPath: /out}
      command: ["/bin/sh", "-c"]
      # On TERM: record it, stay alive (the grace period), record that too, never exit by itself.
      args:
        - trap 'echo got-TERM >>/out/events; sleep 1; echo alive-after-TERM >>/out/events; while :; do sleep 1; done' TERM;
          echo started >>/out/events; while :; do sleep 1; done
  volumes:
    - name: out
      hostPath: {path: $CRI_WORK/graceful-out, type: DirectoryOrCreate}
EOF
mkdir -p "$CRI_WORK/graceful-out"
if cri_apply graceful && see_wait_for 30 grep -q started "$CRI_WORK/graceful-out/events"; then
  cid=$(cri_container_id graceful stubborn)
  # The node's default: the pod has its own user namespace, and its hostPath is id-mapped, so
  # its root (an unprivileged host uid) writes the root-owned directory and the file is stored
  # as 0, as under runc.
  ids=$(cri_host_ids "$(cri_task_pid graceful stubborn)")
  see_expect_eq "graceful: the pod's root is an unprivileged host uid" 1 \
    "$(( ${ids%% *} >= 1073741824 ))"
  see_expect_eq "graceful: written through the id-mapped hostPath as 0" "0 0" \
    "$(stat -c '%u %g' "$CRI_WORK/graceful-out/events")"
  # The task's exit status comes from containerd's event stream (CRI forgets the container
  # with the pod).
  "${K8S[@]}" events >"$CRI_WORK/events" 2>&1 &
  events_pid=$!
  sleep 1
  rc=0
  see_seectl delete pod graceful --grace-period 4 >"$CRI_WORK/graceful.delete" 2>&1 || rc=$?
  see_expect_eq "graceful: delete" 0 "$rc"
  kill "$events_pid" 2>/dev/null || true
  wait "$events_pid" 2>/dev/null || true
  see_expect_eq "graceful: TERM first, alive inside the grace period" \
    "started got-TERM alive-after-TERM" "$(tr '\n' ' ' <"$CRI_WORK/graceful-out/events" | sed 's/ $//')"
  exit_line=$(grep '/tasks/exit' "$CRI_WORK/events" | grep -F "\"container_id\":\"$cid\"" | head -1)
  see_expect_match "graceful: then SIGKILL (exit status 137)" '"exit_status":137' "$exit_line"
fi

cri_expect_clean "limits"
see_finish limits_suite
