#!/usr/bin/env bash
# containerd-shim-see-v2 end to end: a private containerd 1.6 runs busybox and python3 with
# `ctr run --runtime io.containerd.see.v2` (containerd finds the shim on its PATH).
#
#   e2e/shim/shim_suite.sh SHIM_BIN_DIR
#   SEE_SHIM_SUITE_ONLY=stream SEE_STREAM_RUNS=10 e2e/shim/shim_suite.sh SHIM_BIN_DIR
#       (only the 100 MB stream check, repeated)
#
# Checks: output and exit codes; a 100 MB stdout stream arrives intact (sha256 inside vs outside);
# task exec (also with a tty); kill; pause/resume; metrics; delete; containerd killed and
# restarted while tasks run (they keep running, are listed, their exits still arrive); a shim
# killed with SIGKILL (containerd's `shim delete` path leaves no process, mount, cgroup, socket or
# state behind); two containers of one pod (same io.kubernetes.cri.sandbox-id annotation) share
# one shim and one see-sentry, and none is left after their removal; the see.dev/egress
# annotation installs the SEE-EGRESS chain in the container's network namespace, and a malformed
# one fails the run naming the entry; exec'd `sh -c 'sleep 1000 &'` (a grandchild holding the
# output pipe) does not hang; at the end no shim or see-sentry of this containerd is left.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/containerd.sh"

BINDIR=$(readlink -f "${1:?usage: shim_suite.sh SHIM_BIN_DIR}")
[[ -x $BINDIR/containerd-shim-see-v2 ]] || { echo "no containerd-shim-see-v2 in $BINDIR" >&2; exit 1; }
export PATH=$BINDIR:$PATH

see_images busybox python3
see_containerd_start
see_ctr_import busybox
see_ctr_import python3
BB=see.local/busybox:latest
PY=see.local/python3:latest
BUNDLES=$SEE_CTRD_DIR/state/io.containerd.runtime.v2.task/$SEE_CTRD_NS
RTROOT=/run/containerd/see/$SEE_CTRD_NS

srun() {
  see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --runtime io.containerd.see.v2 \
    --fifo-dir "$SEE_CTRD_DIR/fifo" "$@"
}

# run_capture NAME WANT_RC WANT_OUT ARGS...: `srun --rm`, checks exit code and stdout.
run_capture() { see_run_capture srun "$@"; }

task_is() { [[ $(see_task_status "$1") == "$2" ]]; }
task_gone_or_stopped() { local s; s=$(see_task_status "$1"); [[ -z $s || $s == STOPPED ]]; }
no_shims() { [[ -z $(shim_pids) ]]; }
shim_pids() { see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS" || true; }
init_pid() { see_ctr tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }

# The pod directory (see-sentry socket, pid file) of container $1's shim: shim/runtime_backend.cc
# PodDirForShimSocket. Every one seen is checked at the end.
POD_DIRS=()
pod_dir_of() {
  local a
  a=$(cat "$BUNDLES/$1/address" 2>/dev/null) || return 0
  a=${a##*/}
  echo "/run/containerd/see-pods/${a:0:32}"
}
sentry_pids_in() { see_pids_matching "see-sentry serve --socket $1/" || true; }

start_detached() {
  local id=$1
  shift
  if ! srun -d "$@" >/dev/null 2>"$SEE_CTRD_DIR/err" || ! see_wait_for 20 task_is "$id" RUNNING; then
    see_fail "$id: detached start failed: $(cat "$SEE_CTRD_DIR/err")"
    return 1
  fi
  POD_DIRS+=("$(pod_dir_of "$id")")
}

remove_task() {
  see_ctr tasks kill -s SIGKILL "$1" >/dev/null 2>&1 || true
  see_wait_for 20 task_is "$1" STOPPED || true
  see_ctr tasks rm "$1" >/dev/null 2>&1 || true
  see_ctr containers rm "$1" >/dev/null 2>&1 || true
}

restart_containerd() {
  kill -9 "$SEE_CTRD_PID"
  wait "$SEE_CTRD_PID" 2>/dev/null || true
  containerd --config "$SEE_CTRD_DIR/config.toml" >>"$SEE_CTRD_DIR/containerd.log" 2>&1 &
  SEE_CTRD_PID=$!
  see_wait_for 30 see_ctr version
}

# Nothing of container $1 is left on the host.
expect_no_leftovers() {
  local id=$1 pid=${2:-}
  see_expect_eq "$id: no state dir" "" "$(ls -d "$RTROOT/$id" 2>/dev/null || true)"
  see_expect_eq "$id: no rootfs mount" "" "$(see_mounts_under "$BUNDLES/$id" || true)"
  see_expect_eq "$id: no cgroup" "" "$(ls -d /sys/fs/cgroup/*/"$SEE_CTRD_NS/$id" 2>/dev/null || true)"
  if [[ -n $pid ]]; then
    see_expect_eq "$id: init pid $pid gone" "gone" "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)"
  fi
}

see_log "--- run: output and exit codes"
run_capture "busybox echo" 0 "hello from see" "$BB" r1 echo hello from see
run_capture "busybox exit 3" 3 "" "$BB" r2 sh -c 'exit 3'
run_capture "python3" 0 "42" "$PY" r3 python3 -c 'print(6*7)'
run_capture "stdin" 0 "piped-in" "$BB" r4 cat < <(printf piped-in)

# The 100 MB check as a function: SEE_SHIM_SUITE_ONLY=stream runs only it, SEE_STREAM_RUNS times.
stream_check() {
  local tag=$1 rc=0 got want
  got=$(srun --rm "$BB" big sh -c \
    'head -c 104857600 /dev/urandom > /tmp/big && sha256sum /tmp/big >&2 && cat /tmp/big' \
    2>"$SEE_CTRD_DIR/big.err" | sha256sum | cut -d' ' -f1) || rc=$?
  want=$(awk '{print $1}' "$SEE_CTRD_DIR/big.err" | grep -E '^[0-9a-f]{64}$' | head -1 || true)
  see_expect_eq "100 MB stream$tag: exit code" 0 "$rc"
  if [[ -n $want && $got == "$want" ]]; then see_pass "100 MB stream$tag intact ($got)"; else
    see_fail "100 MB stream$tag: inside [$want] outside [$got]"; fi
}

see_log "--- 100 MB stdout stream"
if [[ ${SEE_SHIM_SUITE_ONLY:-} == stream ]]; then
  for ((i = 1; i <= ${SEE_STREAM_RUNS:-10}; i++)); do stream_check " #$i"; done
  see_finish shim_suite_stream
  exit $?
fi
stream_check ""

see_log "--- exec, tty, pause/resume, metrics, kill, delete"
if start_detached d1 "$BB" d1 sleep 1000; then
  out=$(see_ctr tasks exec --exec-id e1 d1 echo exec-hi 2>&1) || true
  see_expect_eq "exec output" "exec-hi" "$out"
  rc=0; see_ctr tasks exec --exec-id e2 d1 sh -c 'exit 5' >/dev/null 2>&1 || rc=$?
  see_expect_eq "exec exit code" 5 "$rc"
  out=$(script -qec "ctr --address $SEE_CTRD_ADDR -n $SEE_CTRD_NS tasks exec -t --exec-id e3 d1 tty" /dev/null 2>&1 | tr -d '\r') || true
  see_expect_match "exec -t gets a pty" '/dev/pts/[0-9]+' "$out"
  see_check "pause" see_ctr tasks pause d1
  see_expect_eq "paused status" PAUSED "$(see_task_status d1)"
  see_check "resume" see_ctr tasks resume d1
  see_expect_eq "resumed status" RUNNING "$(see_task_status d1)"
  out=$(see_ctr tasks metrics d1 2>&1) || true
  see_expect_match "metrics" 'memory|pids' "$out"
  pid=$(init_pid d1)
  see_check "kill" see_ctr tasks kill -s SIGKILL d1
  see_wait_for 20 task_is d1 STOPPED && see_pass "killed task stopped" || see_fail "d1 not stopped"
  see_check "task rm" see_ctr tasks rm d1
  see_check "container rm" see_ctr containers rm d1
  expect_no_leftovers d1 "$pid"
fi

see_log "--- terminal run"
out=$(script -qec "ctr --address $SEE_CTRD_ADDR -n $SEE_CTRD_NS run --rm -t --snapshotter $SEE_CTRD_SNAPSHOTTER --runtime io.containerd.see.v2 --fifo-dir $SEE_CTRD_DIR/fifo $BB t1 tty" /dev/null 2>&1 | tr -d '\r') || true
see_expect_match "run -t gets a pty" '/dev/pts/[0-9]+' "$out"
see_expect_eq "run -t: no resize error" "" "$(grep -i 'resize' <<<"$out" || true)"

see_log "--- containerd killed and restarted while tasks run"
if start_detached d2 "$BB" d2 sleep 1000 && start_detached d3 "$BB" d3 sh -c 'sleep 4; exit 4'; then
  restart_containerd
  see_expect_eq "after restart: d2 listed running" RUNNING "$(see_task_status d2)"
  see_check "after restart: exec still works" see_ctr tasks exec --exec-id r1 d2 true
  see_wait_for 20 task_is d3 STOPPED && see_pass "exit of d3 delivered after restart" ||
    see_fail "d3 exit not seen: $(see_task_status d3)"
  see_ctr tasks kill -s SIGKILL d2 >/dev/null 2>&1 || true
  see_wait_for 20 task_is d2 STOPPED && see_pass "kill after restart delivers the exit" ||
    see_fail "d2 exit not seen after restart"
  out=$(see_ctr tasks rm d3 2>&1 || true)
  see_expect_match "d3 exit status 4 recorded" 'exit code 4' "$out"
  remove_task d2; remove_task d3
fi

see_log "--- a shim killed with SIGKILL"
if start_detached d4 "$BB" d4 sleep 1000; then
  pid=$(init_pid d4)
  spid=$(see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS -id d4" | head -1 || true)
  sock=$(cat "$BUNDLES/d4/address" 2>/dev/null | sed 's|^unix://||')
  if [[ -n $spid ]]; then
    kill -9 "$spid"
    # containerd reports the exit (137) from `shim delete` and forgets the task.
    see_wait_for 30 task_gone_or_stopped d4 && see_pass "dead shim: task reported stopped" ||
      see_fail "dead shim: task status $(see_task_status d4)"
    see_ctr tasks rm d4 >/dev/null 2>&1 || true
    see_ctr containers rm d4 >/dev/null 2>&1 || true
    see_wait_for 10 bash -c "! kill -0 $pid" || true
    expect_no_leftovers d4 "$pid"
    see_expect_eq "dead shim: socket removed" "gone" "$([[ -e $sock ]] && echo present || echo gone)"
  else
    see_fail "shim process of d4 not found"
  fi
fi

see_log "--- one shim and one see-sentry per pod"
pod_ann=(--annotation io.kubernetes.cri.sandbox-id=see-e2e-pod-$$)
if start_detached p1 "${pod_ann[@]}" "$BB" p1 sleep 1000 &&
   start_detached p2 "${pod_ann[@]}" "$BB" p2 sleep 1000; then
  pod=$(pod_dir_of p1)
  see_expect_eq "pod: one shim socket for both containers" "$pod" "$(pod_dir_of p2)"
  see_expect_eq "pod: one shim for both containers" 1 \
    "$(see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS -id p1 " | wc -l)"
  see_expect_eq "pod: no shim of its own for the second" "" \
    "$(see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS -id p2 " || true)"
  # The pod's see-sentry: its init (the shim's child), the server below it and, as the pod has
  # its own user namespace (the default), the server's host-side registrar; one each.
  see_expect_eq "pod: one see-sentry (init, registrar, server) for both containers" \
    "see-pod-init see-registrar see-sentry" \
    "$(for p in $(sentry_pids_in "$pod"); do cat "/proc/$p/comm"; done | sort | tr '\n' ' ' | sed 's/ $//')"
  sentry=$(see_with_comm see-pod-init $(sentry_pids_in "$pod"))
  shim=$(see_pids_matching "containerd-shim-see-v2 -namespace $SEE_CTRD_NS -id p1 " | head -1)
  see_expect_eq "pod: the pod init is the shim's child" "$shim" \
    "$(awk '/^PPid:/ {print $2}' "/proc/$sentry/status" 2>/dev/null || true)"
  see_expect_eq "pod: both inits are the pod init's children" "$sentry $sentry" \
    "$(awk '/^PPid:/ {print $2}' "/proc/$(init_pid p1)/status" 2>/dev/null) $(awk '/^PPid:/ {print $2}' "/proc/$(init_pid p2)/status" 2>/dev/null)"
  see_expect_eq "pod: the init runs under the sentry's filter" "2" \
    "$(awk '/^Seccomp:/ {print $2}' "/proc/$(init_pid p2)/status" 2>/dev/null || true)"
  out=$(see_ctr tasks exec --exec-id pe1 p2 echo in-pod 2>&1) || true
  see_expect_eq "pod: exec in the second container" in-pod "$out"
  out=$(see_ctr tasks exec --exec-id pe2 p2 sh -c 'exit 7' 2>&1; echo "rc=$?")
  see_expect_eq "pod: an exec's exit status comes back through the pod init" "rc=7" "$out"
  remove_task p1
  see_expect_eq "pod: sentry stays while a container is left" 3 "$(sentry_pids_in "$pod" | wc -l)"
  remove_task p2
  see_wait_for 10 bash -c "[[ ! -e $pod ]]" || true
  see_expect_eq "pod: no see-sentry after removal" "" "$(sentry_pids_in "$pod")"
  see_expect_eq "pod: no pod dir after removal" "gone" "$([[ -e $pod ]] && echo present || echo gone)"
fi

see_log "--- exec leaving a grandchild on the output pipe"
if start_detached g1 "$BB" g1 sleep 1000; then
  rc=0
  out=$(timeout 30 ctr --address "$SEE_CTRD_ADDR" -n "$SEE_CTRD_NS" tasks exec --exec-id ge1 g1 \
    sh -c 'sleep 1000 & echo started' 2>&1) || rc=$?
  see_expect_eq "exec with a grandchild holding stdout returns" "0 started" "$rc $out"
  remove_task g1
fi

see_log "--- egress policy annotation"
if start_detached eg1 --annotation "see.dev/egress=10.0.0.0/8, 192.0.2.1:443" "$BB" eg1 sleep 1000; then
  pid=$(init_pid eg1)
  rules=$(nsenter --net=/proc/$pid/ns/net iptables -S SEE-EGRESS 2>&1 || true)
  see_expect_match "egress: network allowed" '-d 10.0.0.0/8 -j RETURN' "$rules"
  see_expect_match "egress: port allowed" '-d 192.0.2.1/32 -p tcp -m tcp --dport 443 -j RETURN' "$rules"
  see_expect_match "egress: the rest refused" '-j REJECT' "$rules"
  see_expect_eq "egress: host namespace untouched" "" "$(iptables -S SEE-EGRESS 2>/dev/null || true)"
  remove_task eg1
fi
rc=0
out=$(srun --rm --annotation "see.dev/egress=10.0.0.0/8 10.0.0.1:99999" "$BB" eg2 true 2>&1) || rc=$?
see_expect_match "egress: malformed annotation fails the run naming the entry" \
  'see.dev/egress: entry "10.0.0.1:99999"' "$out"
see_ctr containers rm eg2 >/dev/null 2>&1 || true

see_log "--- no shim left"
see_wait_for 10 no_shims &&
  see_pass "no shim process left" || see_fail "shims left: $(shim_pids)"
left=""
for pod in "${POD_DIRS[@]}"; do
  [[ -n $pod ]] || continue
  [[ -z $(sentry_pids_in "$pod") && ! -e $pod ]] || left+=" $pod"
done
see_expect_eq "no see-sentry or pod dir left" "" "$left"
see_finish shim_suite
