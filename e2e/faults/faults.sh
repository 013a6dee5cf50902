#!/usr/bin/env bash
# Faults under see (issue 7): a private containerd runs pods with `ctr run --runtime
# io.containerd.see.v2`; each case injects one fault into one pod while a bystander pod runs.
# Every case expects a clear status to containerd, nothing left behind (state dir, rootfs mount,
# cgroup, processes), and the bystander unaffected (still RUNNING and answering an exec).
#
#   e2e/faults/faults.sh BIN_DIR [CASE...]
#   cases: kill_shim kill_sentry kill_pod_init kill_init containerd_restart log_full rootfs_full pids_exhausted
#          memory_exhausted
#
# The containerd tmpfs is kept small (SEE_CTRD_TMPFS_SIZE, default 192m here) so that the
# rootfs_full case can fill the overlay upper dir within it.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/containerd.sh"

BINDIR=$(readlink -f "${1:?usage: faults.sh BIN_DIR [CASE...]}")
shift
CASES=("$@")
((${#CASES[@]})) || CASES=(kill_init kill_shim kill_sentry kill_pod_init containerd_restart log_full rootfs_full
                           pids_exhausted memory_exhausted)
[[ -x $BINDIR/containerd-shim-see-v2 ]] || { echo "no containerd-shim-see-v2 in $BINDIR" >&2; exit 1; }
export PATH=$BINDIR:$PATH

see_images busybox
export SEE_CTRD_TMPFS_SIZE=${SEE_CTRD_TMPFS_SIZE:-192m}
see_containerd_start "$BINDIR/runsee"
see_ctr_import busybox
BB=see.local/busybox:latest
BUNDLES=$SEE_CTRD_DIR/state/io.containerd.runtime.v2.task/$SEE_CTRD_NS
RTROOT=/run/containerd/see/$SEE_CTRD_NS
LOGS=$(mktemp -d /tmp/see-faults-logs.XXXXXX)
cleanup_logs() { see_unmount_under "$LOGS" 2>/dev/null; rm -rf "$LOGS"; }
SEE_CLEANUP_HOOKS+=(cleanup_logs)

srun() {
  see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --runtime io.containerd.see.v2 \
    --fifo-dir "$SEE_CTRD_DIR/fifo" "$@"
}
# srun_t SECONDS ARGS...: srun bounded by a timeout (a hang is a failure, not a stuck suite).
srun_t() {
  local secs=$1
  shift
  timeout "$secs" ctr --address "$SEE_CTRD_ADDR" -n "$SEE_CTRD_NS" run \
    --snapshotter "$SEE_CTRD_SNAPSHOTTER" --runtime io.containerd.see.v2 \
    --fifo-dir "$SEE_CTRD_DIR/fifo" "$@"
}
# ctr_t ARGS...: see_ctr bounded by 30 s.
ctr_t() { timeout 30 ctr --address "$SEE_CTRD_ADDR" -n "$SEE_CTRD_NS" "$@"; }
task_is() { [[ $(see_task_status "$1") == "$2" ]]; }
task_gone_or_stopped() { local s; s=$(see_task_status "$1"); [[ -z $s || $s == STOPPED ]]; }
init_pid() { see_ctr tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }
shim_of() { see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS -id $1" | head -1; }
# The pod's see-sentry processes: its init (the shim's child) and the server below it.
sentry_of() {
  local shim
  shim=$(shim_of "$1") || return 0
  [[ -n $shim ]] || return 0
  see_sentry_tree "$shim"
  return 0
}
# The server of a pod (the see-sentry serving its calls, child of the pod init).
server_of() { see_with_comm see-sentry $(sentry_of "$1"); }
# The pod init (the parent of the pod's container processes).
pod_init_of() { see_with_comm see-pod-init $(sentry_of "$1"); }
exit_status_of() { see_ctr tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }

start_detached() {
  local id=$1
  shift
  if ! srun -d "$@" >/dev/null 2>"$SEE_CTRD_DIR/err" || ! see_wait_for 20 task_is "$id" RUNNING; then
    see_fail "$id: detached start failed: $(cat "$SEE_CTRD_DIR/err")"
    return 1
  fi
}

remove_pod() {
  ctr_t tasks kill -s SIGKILL "$1" >/dev/null 2>&1 || true
  see_wait_for 20 task_gone_or_stopped "$1" || true
  ctr_t tasks rm -f "$1" >/dev/null 2>&1 || true
  ctr_t containers rm "$1" >/dev/null 2>&1 || true
}

# Nothing of pod $1 is left: state, rootfs mount, cgroup, processes (pids given), shim.
expect_no_leftovers() {
  local id=$1
  shift
  see_wait_for 10 bash -c "[[ -z \$(ls -d '$RTROOT/$id' 2>/dev/null) ]]" || true
  see_expect_eq "$id: no state dir" "" "$(ls -d "$RTROOT/$id" 2>/dev/null || true)"
  see_expect_eq "$id: no rootfs mount" "" "$(see_mounts_under "$BUNDLES/$id" || true)"
  see_expect_eq "$id: no cgroup" "" "$(ls -d /sys/fs/cgroup/*/"$SEE_CTRD_NS/$id" 2>/dev/null || true)"
  see_wait_for 10 bash -c "[[ -z \$(pgrep -f -- '-id $id ' ) ]]" || true
  see_expect_eq "$id: no shim" "" "$(shim_of "$id" || true)"
  local pid
  for pid in "$@"; do
    [[ -n $pid ]] || continue
    see_wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || true
    see_expect_eq "$id: pid $pid gone" gone "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)"
  done
}

# The bystander pod keeps running and answers an exec through its own shim.
BYSTANDER=bystander
bystander_ok() {
  local what=$1 out
  see_expect_eq "$what: bystander running" RUNNING "$(see_task_status $BYSTANDER)"
  out=$(ctr_t tasks exec --exec-id "chk$RANDOM" $BYSTANDER echo alive 2>&1 || true)
  see_expect_eq "$what: bystander exec" alive "$out"
}

case_kill_init() {
  see_log "--- SIGKILL to a container init"
  start_detached k1 "$BB" k1 sleep 1000 || return 0
  local pid shim
  pid=$(init_pid k1)
  shim=$(shim_of k1)
  kill -9 "$pid"
  see_wait_for 20 task_is k1 STOPPED && see_pass "killed init: task STOPPED" ||
    see_fail "killed init: status $(see_task_status k1)"
  # ctr tasks rm prints nothing useful; the exit status comes from `ctr tasks ls`/wait.
  local st
  st=$(see_ctr tasks ls | awk '$1 == "k1"')
  see_log "k1 after kill: $st"
  remove_pod k1
  expect_no_leftovers k1 "$pid" "$shim"
  bystander_ok kill_init
}

case_kill_shim() {
  see_log "--- SIGKILL to a shim"
  start_detached k2 "$BB" k2 sleep 1000 || return 0
  local pid shim sentry
  pid=$(init_pid k2)
  shim=$(shim_of k2)
  sentry=$(sentry_of k2)
  kill -9 "$shim"
  see_wait_for 30 task_gone_or_stopped k2 && see_pass "dead shim: task reported stopped" ||
    see_fail "dead shim: task status $(see_task_status k2)"
  remove_pod k2
  expect_no_leftovers k2 "$pid" "$shim" $sentry
  bystander_ok kill_shim
}

# $1: which see-sentry process of the pod dies: "server" (the one serving its calls) or "init"
# (the pod init, the parent of its container processes).
kill_sentry_case() {
  local which=$1 id=$2
  see_log "--- SIGKILL to a pod's see-sentry $which"
  start_detached "$id" "$BB" "$id" sleep 1000 || return 0
  local pid shim sentries victim
  pid=$(init_pid "$id")
  shim=$(shim_of "$id")
  sentries=$(sentry_of "$id" | tr '\n' ' ')
  if [[ $which == server ]]; then victim=$(server_of "$id"); else victim=$(pod_init_of "$id"); fi
  see_expect_eq "$id: the init is the pod init's child" "$(pod_init_of "$id")" \
    "$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"
  if [[ -z $victim ]]; then
    see_fail "$id: no see-sentry $which under the shim (found: $sentries)"
    remove_pod "$id"
    return 0
  fi
  kill -9 $victim
  # Without its sentry a sandboxed process cannot make served calls; the pod must not linger as
  # RUNNING with a dead sandbox: its processes are killed and containerd sees the exit.
  see_wait_for 30 task_is "$id" STOPPED && see_pass "dead sentry $which: task reported STOPPED" ||
    see_fail "dead sentry $which: task status $(see_task_status "$id") (pid $pid $(kill -0 "$pid" 2>/dev/null && echo alive || echo gone))"
  remove_pod "$id"
  expect_no_leftovers "$id" "$pid" "$shim" $sentries
  bystander_ok "kill_sentry_$which"
}
case_kill_sentry() { kill_sentry_case server k3; }
case_kill_pod_init() { kill_sentry_case init k3i; }

case_containerd_restart() {
  see_log "--- containerd killed and restarted"
  start_detached k4 "$BB" k4 sleep 1000 || return 0
  local pid shim
  pid=$(init_pid k4)
  shim=$(shim_of k4)
  kill -9 "$SEE_CTRD_PID"
  wait "$SEE_CTRD_PID" 2>/dev/null || true
  containerd --config "$SEE_CTRD_DIR/config.toml" >>"$SEE_CTRD_DIR/containerd.log" 2>&1 &
  SEE_CTRD_PID=$!
  see_wait_for 30 see_ctr version || see_fail "containerd did not come back"
  see_wait_for 20 task_is k4 RUNNING && see_pass "restart: task still RUNNING" ||
    see_fail "restart: task status $(see_task_status k4)"
  see_expect_eq "restart: exec after restart" alive "$(ctr_t tasks exec --exec-id r1 k4 echo alive 2>&1 || true)"
  see_ctr tasks kill -s SIGKILL k4 >/dev/null 2>&1 || true
  see_wait_for 20 task_is k4 STOPPED && see_pass "restart: exit seen after restart" ||
    see_fail "restart: no exit after restart ($(see_task_status k4))"
  remove_pod k4
  expect_no_leftovers k4 "$pid" "$shim"
  bystander_ok containerd_restart
}

case_log_full() {
  see_log "--- log destination full (file:// log on a 64 KiB tmpfs)"
  mkdir -p "$LOGS/full"
  mount -t tmpfs -o size=64k see-faults-log "$LOGS/full"
  local rc=0 out
  # 4 MiB of output into a 64 KiB log: the writes fail with ENOSPC; the container must still run
  # to completion and its exit must reach containerd.
  out=$(srun_t 60 --log-uri "file://$LOGS/full/k5.log" --rm "$BB" k5 \
          sh -c 'head -c 4194304 /dev/zero | tr "\0" x; echo; exit 7' 2>&1) || rc=$?
  see_expect_eq "log full: exit code reaches containerd" 7 "$rc"
  [[ $rc == 7 ]] || see_log "log full: ctr said: $(head -c 300 <<<"$out")"
  see_expect_eq "log full: log file filled to the limit" yes \
    "$( (($(stat -c %s "$LOGS/full/k5.log" 2>/dev/null || echo 0) > 32768)) && echo yes || echo no)"
  remove_pod k5
  expect_no_leftovers k5
  umount "$LOGS/full"
  bystander_ok log_full
}

case_rootfs_full() {
  see_log "--- rootfs upper dir full"
  local rc=0 out
  out=$(srun_t 120 --rm "$BB" k6 sh -c 'dd if=/dev/zero of=/fill bs=1M 2>&1; echo dd=$?' 2>&1) || rc=$?
  see_expect_match "rootfs full: writer sees ENOSPC" "No space left on device" "$out"
  see_expect_eq "rootfs full: container exits cleanly" 0 "$rc"
  remove_pod k6
  expect_no_leftovers k6
  bystander_ok rootfs_full
  # The space came back with the container's snapshot: a new pod writes again.
  out=$(srun_t 60 --rm "$BB" k6b sh -c 'dd if=/dev/zero of=/f bs=1M count=8 2>/dev/null && echo wrote' 2>&1 || true)
  see_expect_eq "rootfs full: space released" wrote "$out"
  remove_pod k6b
}

pids_cgroup_of() {
  local path
  path=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$1/cgroup")
  [[ -n $path ]] && echo "/sys/fs/cgroup/pids$path"
}

case_pids_exhausted() {
  see_log "--- pids exhausted in one pod"
  start_detached k7 "$BB" k7 sh -c 'trap "" HUP; sleep 1000' || return 0
  local pid cg
  pid=$(init_pid k7)
  cg=$(pids_cgroup_of "$pid")
  if [[ -z $cg || ! -w $cg/pids.max ]]; then
    see_fail "pids: no pids cgroup for k7 ($cg)"
    remove_pod k7
    return 0
  fi
  echo 32 >"$cg/pids.max"
  # A fork bomb that keeps trying: forks until refused, then retries forever.
  ctr_t tasks exec -d --exec-id bomb k7 sh -c 'while :; do sleep 1000 & done' >/dev/null 2>&1 || true
  # The limit was hit: the kernel counts refused forks in pids.events.
  see_wait_for 30 bash -c "(( \$(awk '/^max/ { print \$2 }' $cg/pids.events) > 0 ))" &&
    see_pass "pids: pod at its limit (forks refused)" ||
    see_fail "pids: pod did not reach its limit ($(cat "$cg/pids.current") of 32)"
  bystander_ok pids_exhausted
  # A new pod starts while the other is exhausted.
  see_expect_eq "pids: new pod starts" started \
    "$(srun_t 60 --rm "$BB" k7b echo started 2>&1 || true)"
  remove_pod k7b
  remove_pod k7
  expect_no_leftovers k7 "$pid"
}

case_memory_exhausted() {
  see_log "--- memory exhausted in one pod (--memory-limit 32 MiB)"
  local rc=0
  # busybox dd allocates its block: a 128 MiB block cannot fit in 32 MiB.
  srun_t 120 --rm --memory-limit $((32 << 20)) "$BB" k8 \
    dd if=/dev/zero of=/dev/null bs=128M count=4 >/dev/null 2>&1 || rc=$?
  see_expect_eq "memory: OOM kill reported as exit 137" 137 "$rc"
  remove_pod k8
  expect_no_leftovers k8
  bystander_ok memory_exhausted
}

start_detached $BYSTANDER "$BB" $BYSTANDER sleep 100000 || exit 1
for c in "${CASES[@]}"; do
  "case_$c"
done
remove_pod $BYSTANDER
expect_no_leftovers $BYSTANDER
see_finish faults
