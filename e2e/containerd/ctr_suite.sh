#!/usr/bin/env bash
# containerd end-to-end suite: a private containerd 1.6 drives the runtime under test through
# containerd-shim-runc-v2 (`ctr run --runc-binary`).
#
#   e2e/containerd/ctr_suite.sh RUNTIME [BINARY]
#     RUNTIME  runc | runsee   (a label; selects the runtime-root dir and the report name)
#     BINARY   path of the runtime binary (default: `command -v RUNTIME`)
#
# Checks: ctr run (busybox, python3) stdout and exit codes, task exec, task kill (TERM handled,
# KILL), pause/resume (status and a counter that stops), the memory limit in the host cgroup
# (ctr run --memory-limit, then Tasks.Update),
# a TTY, delete; then nothing of the containers is left (processes, mounts, cgroups, state dirs).
# Note: ctr 1.6 has no `task update` verb: e2e/lib/task_update.py calls Tasks.Update over gRPC.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/containerd.sh"

RT=${1:?usage: ctr_suite.sh runc|runsee [BINARY]}
BIN=${2:-$(command -v "$RT" || true)}
[[ -x $BIN ]] || { echo "ctr_suite: runtime binary '$BIN' not found or not executable" >&2; exit 1; }
BIN=$(readlink -f "$BIN")

see_images busybox python3
see_containerd_start "$BIN"
[[ $RT == runsee ]] || SEE_RUNTIME_BIN_runc=$BIN
see_ctr_import busybox
see_ctr_import python3
BB=see.local/busybox:latest
PY=see.local/python3:latest
ROOT_VAR=SEE_RUNTIME_ROOT_$RT
RTROOT=${!ROOT_VAR}
BUNDLES=$SEE_CTRD_DIR/state/io.containerd.runtime.v2.task/$SEE_CTRD_NS

run() { see_ctr_run "$RT" "$@"; }

# run_capture NAME WANT_RC WANT_OUT ARGS...: `run --rm`, checks exit code and stdout.
run_capture() { see_run_capture run "$@"; }

task_running() { [[ $(see_task_status "$1") == RUNNING ]]; }

# start_detached ID IMAGE CMD...: ctr run -d, then waits for RUNNING.
start_detached() {
  local id=$1
  shift
  if ! run -d "$@" >/dev/null 2>"$SEE_CTRD_DIR/err" ||
     ! see_wait_for 20 task_running "$id"; then
    see_fail "$id: detached start failed: $(cat "$SEE_CTRD_DIR/err")"
    return 1
  fi
}

# remove ID: kill, wait for STOPPED, delete task and container.
remove() {
  local id=$1
  see_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
  see_wait_for 20 _see_task_stopped "$id" || see_fail "$id: task did not stop after SIGKILL"
  see_check "$id: task rm" see_ctr tasks rm "$id"
  see_check "$id: container rm" see_ctr containers rm "$id"
}

see_log "== ctr suite, runtime $RT = $BIN"

# --- run: stdout and exit codes ------------------------------------------------------------
run_capture "busybox echo" 0 "hello from $RT" $BB bb-echo echo "hello from $RT"
run_capture "busybox exit 3" 3 "" $BB bb-exit sh -c 'exit 3'
run_capture "busybox env+cwd" 0 "/ root" $BB bb-env sh -c 'echo "$(pwd) $(id -un)"'
run_capture "python3 print" 0 "42" $PY py-print python3 -c 'print(6*7)'
run_capture "python3 exit 3" 3 "" $PY py-exit python3 -c 'import sys; sys.exit(3)'

# --- exec ----------------------------------------------------------------------------------
if start_detached ex1 $BB ex1 sleep 1000; then
  # Proves the shim drives the runtime under test: its state dir (--runc-root/<ns>/<id>) exists.
  see_check "runtime state dir $RTROOT/$SEE_CTRD_NS/ex1 exists while running" test -d "$RTROOT/$SEE_CTRD_NS/ex1"
  out=$(see_ctr tasks exec --fifo-dir "$SEE_CTRD_DIR/fifo" --exec-id e1 ex1 sh -c 'echo exec-out; exit 0' 2>&1) && rc=0 || rc=$?
  see_expect_eq "exec: exit code" 0 "$rc"
  see_expect_eq "exec: stdout" "exec-out" "$out"
  rc=0
  see_ctr tasks exec --fifo-dir "$SEE_CTRD_DIR/fifo" --exec-id e2 ex1 sh -c 'exit 5' >/dev/null 2>&1 || rc=$?
  see_expect_eq "exec: exit code 5" 5 "$rc"
  out=$(see_ctr tasks exec --fifo-dir "$SEE_CTRD_DIR/fifo" --exec-id e3 --user 1000 ex1 id -u 2>&1) || true
  see_expect_eq "exec: --user 1000" 1000 "$out"
  remove ex1
fi

# --- kill ----------------------------------------------------------------------------------
# SIGTERM with a handler: the container exits with the handler's status.
run -d $BB k-term sh -c 'trap "exit 42" TERM; touch /ready; while :; do sleep 0.1; done' >/dev/null
if see_wait_for 20 test -e "$BUNDLES/k-term/rootfs/ready"; then
  see_check "kill TERM: sent" see_ctr tasks kill -s SIGTERM k-term
  see_wait_for 20 _see_task_stopped k-term || see_fail "kill TERM: task still running"
  st=$(see_ctr tasks ls | awk '$1 == "k-term"')
  see_log "after TERM: $st"
else
  see_fail "kill TERM: container never became ready ($(see_task_status k-term))"
fi
remove k-term
# Exit statuses through `ctr run` (attached): it returns the task's exit status.
for sig in TERM KILL; do
  id=k-att-${sig,,}
  if [[ $sig == TERM ]]; then cmd='trap "exit 42" TERM; touch /ready; while :; do sleep 0.1; done'; want=42
  else cmd='touch /ready; exec sleep 1000'; want=137; fi
  rc=0
  run --rm $BB $id sh -c "$cmd" >/dev/null 2>&1 &
  cpid=$!
  if see_wait_for 20 test -e "$BUNDLES/$id/rootfs/ready"; then
    see_ctr tasks kill -s "SIG$sig" $id || true
  else
    see_fail "kill $sig: container never became ready"
    see_ctr tasks kill -s SIGKILL $id || true
  fi
  wait $cpid || rc=$?
  see_expect_eq "kill $sig: exit status" $want $rc
done

# --- pause / resume ------------------------------------------------------------------------
if start_detached pz $BB pz sh -c 'i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.05; done'; then
  cnt() { cat "$BUNDLES/pz/rootfs/count" 2>/dev/null || echo 0; }
  cnt_gt() { [[ $(cnt) -gt $1 ]]; }
  see_wait_for 20 cnt_gt 2 || see_fail "pause: counter never advanced"
  see_check "pause" see_ctr tasks pause pz
  see_expect_eq "pause: status" PAUSED "$(see_task_status pz)"
  a=$(cnt); sleep 1; b=$(cnt)
  see_expect_eq "pause: counter frozen" "$a" "$b"
  fz=$(cat "/sys/fs/cgroup/freezer/$SEE_CTRD_NS/pz/freezer.state" 2>/dev/null || echo none)
  see_expect_eq "pause: host freezer.state" FROZEN "$fz"
  see_check "resume" see_ctr tasks resume pz
  see_expect_eq "resume: status" RUNNING "$(see_task_status pz)"
  see_wait_for 20 cnt_gt "$b" || see_fail "resume: counter did not advance after resume"
  [[ $(cnt) -gt $b ]] && see_pass "resume: counter advances"
  remove pz
fi

# --- memory limit in the host cgroup -------------------------------------------------------
if start_detached mem --memory-limit 67108864 $BB mem sleep 1000; then
  lim=$(cat "/sys/fs/cgroup/memory/$SEE_CTRD_NS/mem/memory.limit_in_bytes" 2>/dev/null || echo missing)
  see_expect_eq "memory limit: host memory.limit_in_bytes" 67108864 "$lim"
  pids=$(see_ctr tasks ps mem 2>/dev/null | awk 'NR > 1 { print $1 }' | head -1)
  if [[ -n $pids ]]; then
    see_expect_match "memory limit: task pid in the cgroup" "(^|[^0-9])$pids([^0-9]|$)" \
      "$(tr '\n' ' ' <"/sys/fs/cgroup/memory/$SEE_CTRD_NS/mem/cgroup.procs" 2>/dev/null)"
  else
    see_fail "memory limit: ctr tasks ps listed no pid"
  fi
  # Task.Update through containerd's API (ctr 1.6 has no `task update`): raise to 128 MiB.
  rc=0
  out=$("$HERE/../lib/task_update.py" "$SEE_CTRD_ADDR" "$SEE_CTRD_NS" mem '{"memory": {"limit": 134217728}}' 2>&1) || rc=$?
  see_expect_eq "task update: Tasks.Update succeeded ($out)" 0 "$rc"
  lim=$(cat "/sys/fs/cgroup/memory/$SEE_CTRD_NS/mem/memory.limit_in_bytes" 2>/dev/null || echo missing)
  see_expect_eq "task update: host memory.limit_in_bytes" 134217728 "$lim"
  rc=0
  "$HERE/../lib/task_update.py" "$SEE_CTRD_ADDR" "$SEE_CTRD_NS" no-such-task '{"memory": {"limit": 134217728}}' \
    >/dev/null 2>&1 || rc=$?
  see_expect_eq "task update: unknown task is an error" 1 "$rc"
  remove mem
fi

# --- TTY -----------------------------------------------------------------------------------
ctr_base="ctr --address $SEE_CTRD_ADDR -n $SEE_CTRD_NS run --snapshotter $SEE_CTRD_SNAPSHOTTER --fifo-dir $SEE_CTRD_DIR/fifo --runtime io.containerd.runc.v2 --runc-binary $BIN --runc-root $RTROOT -t --rm $BB"
out=$(script -qec "$ctr_base tty1 tty" /dev/null </dev/null 2>&1 | tr -d '\r\0') || true
see_expect_match "tty: tty prints /dev/pts/N" '(^|[^[:alnum:]])/dev/pts/[0-9]+$' "$(echo "$out" | grep -v '^$' | tail -1)"
out=$(script -qec "$ctr_base tty2 sh -c 'test -t 0 && test -t 1 && echo interactive'" /dev/null </dev/null 2>&1 | tr -d '\r\0') || true
see_expect_match "tty: stdin and stdout are terminals" 'interactive' "$out"

# --- delete and leftovers ------------------------------------------------------------------
sleep 0.2
see_expect_eq "no tasks left" "" "$(see_ctr tasks ls -q)"
see_expect_eq "no containers left" "" "$(see_ctr containers ls -q)"
see_expect_eq "no mounts under the containerd root/state" "" \
  "$(see_mounts_under "$SEE_CTRD_DIR/root"; see_mounts_under "$SEE_CTRD_DIR/state")"
see_expect_eq "no container cgroups" "" \
  "$(for d in $(see_cgroup_dirs "$SEE_CTRD_NS"); do find "$d" -mindepth 1 -type d; done)"
see_expect_eq "no runtime state dirs in $RTROOT" "" "$(find "$RTROOT" -mindepth 2 -maxdepth 2 2>/dev/null)"
see_expect_eq "no shims left" "" "$(see_pids_matching "$SEE_CTRD_ADDR")"
see_expect_eq "no container processes left" "" "$(see_pids_matching "$BUNDLES")"

see_finish "ctr suite ($RT)"
