# Helpers of the CRI suites (e2e/cri/*_suite.sh): one node stack per suite (e2e/node/node.sh),
# pods applied with seectl as a kubelet would, and the host-side accounting of what a pod leaves.
#
#   cri_suite_start BIN_DIR [IMAGE...]   node stack with BIN_DIR's shim, runsee and seectl
#   cri_apply NAME                       applies $CRI_WORK/NAME.yaml (written by the suite), waits
#   cri_try_apply NAME                   the same, without recording a failure
#   cri_exec POD CONTAINER CMD...        a command in a container (ExecSync)
#   cri_pod_json NAME                    seectl's JSON view of pod NAME (empty when it is gone)
#   cri_pod_field NAME PYEXPR            a field of it, e.g. 'p["sandboxId"]'
#   cri_container_id POD CONTAINER
#   cri_shim_pids                        containerd-shim-see-v2 processes of this node
#   cri_sentry_pids_of PID...            the pods' see-sentry processes below those pids, one per pod
#                                        (its init; the server and a pod-mode registrar below it are
#                                        part of it: not counted, see_sentry_tree lists them all)
#   cri_leftovers                        prints everything a removed pod may leak; empty when clean
HERE_CRI=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE_CRI/../lib/common.sh"
source "$HERE_CRI/../lib/containerd.sh"
source "$HERE_CRI/../node/node.sh"

cri_suite_start() {
  SEE_NODE_BIN_DIR=$(readlink -f "${1:?usage: SUITE BIN_DIR}")
  shift
  SEE_SEECTL=$SEE_NODE_BIN_DIR/seectl
  [[ -x $SEE_SEECTL ]] || { echo "no seectl in $SEE_NODE_BIN_DIR" >&2; exit 1; }
  SEE_NODE_IMAGES="pause busybox $*"
  see_node_start
  CRI_WORK=$SEE_NODE_DIR/suite
  mkdir -p "$CRI_WORK"
  BB=$(see_node_image busybox)
  K8S=(ctr --address "$SEE_CTRD_ADDR" -n k8s.io)
}

cri_apply() {
  cri_try_apply "$@" || { see_fail "$1: apply failed: $(tail -5 "$CRI_WORK/$1.apply")"; return 1; }
}

# cri_try_apply NAME: the same without recording a failure (output in $CRI_WORK/NAME.apply).
cri_try_apply() {
  local name=$1
  shift
  see_seectl_apply -f "$CRI_WORK/$name.yaml" --wait --wait-timeout 120 "$@" >"$CRI_WORK/$name.apply" 2>&1
}

cri_pod_json() {
  see_seectl get pods "$1" -o json 2>/dev/null |
    python3 -c 'import json, sys
items = json.load(sys.stdin)["items"]
print(json.dumps(items[0]) if items else "")' 2>/dev/null || true
}

cri_pod_field() {
  local j
  j=$(cri_pod_json "$1")
  [[ -n $j ]] || return 0
  python3 -c "import json, sys; p = json.loads(sys.argv[1]); print($2)" "$j"
}

cri_container_id() {
  cri_pod_field "$1" "next(c['id'] for c in p['containers'] if c['name'] == '$2')"
}

# cri_task_pid POD CONTAINER: the container's init pid on the host.
cri_task_pid() {
  local cid
  cid=$(cri_container_id "$1" "$2")
  "${K8S[@]}" task ls 2>/dev/null | awk -v id="$cid" '$1 == id { print $2 }'
}

# cri_host_ids PID: "uid gid" (real ids) of the process as the host sees them.
cri_host_ids() {
  echo "$(awk '/^Uid:/ { print $2 }' "/proc/$1/status") $(awk '/^Gid:/ { print $2 }' "/proc/$1/status")"
}

# argv0 PID: the basename of the process's argv[0] (comm is "exe" for re-executed binaries).
_cri_argv0() { local a; a=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -1); echo "${a##*/}"; }

# The see shims of this node: containerd-shim-see-v2 with this containerd's socket as -address.
cri_shim_pids() {
  local p
  for p in $(see_pids_matching "-address $SEE_CTRD_ADDR"); do
    [[ $(_cri_argv0 "$p") == containerd-shim-see-v2 ]] && echo "$p"
  done
  return 0
}

_cri_descendants() {
  local p c
  for p in "$@"; do
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
      echo "$c"
      _cri_descendants "$c"
    done
  done
}

cri_sentry_pids_of() {
  local p
  for p in $(_cri_descendants "$@"); do
    [[ $(_cri_argv0 "$p") == see-sentry ]] || continue
    [[ $(_cri_argv0 "$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)") == see-sentry ]] ||
      echo "$p"
  done
  return 0
}

# Everything a removed pod may leave on the host, one line per item; empty when clean.
cri_leftovers() {
  local d=$SEE_NODE_DIR f
  cri_shim_pids | sed 's/^/shim pid /'
  # Sentries of this node's pods: descendants of its shims, or orphans naming its state dir.
  cri_sentry_pids_of $(cri_shim_pids) | sed 's/^/sentry pid /'
  see_pids_matching "$d/" | while read -r p; do
    [[ $(_cri_argv0 "$p") == see-sentry ]] && echo "sentry pid $p"
  done
  see_mounts_under "$d/state/io.containerd.runtime.v2.task" | sed 's/^/mount /'
  see_mounts_under "$d/state/io.containerd.grpc.v1.cri" | sed 's/^/mount /'
  see_mounts_under "$d/pods" | sed 's/^/mount /'
  ls -A "$d/state/netns" 2>/dev/null | sed 's/^/netns /'
  ls -A "$d/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null | sed 's/^/bundle /'
  ls -A /run/containerd/see/k8s.io 2>/dev/null | while read -r f; do
    # Shared by every stack on this host: only ids this containerd knows (or knew) count.
    grep -qF "$f" "$d/containerd.log" 2>/dev/null && echo "shim state $f"
  done
  for f in "$d"/cni/ipam/*/*; do
    [[ -e $f ]] || continue
    case ${f##*/} in lock | last_reserved_ip.*) ;; *) echo "cni allocation ${f##*/}" ;; esac
  done
  # Pod veths; the suite's own test servers (seets*, removed at stop) are not pods' leftovers.
  ip -o link show master "$SEE_NODE_BRIDGE" 2>/dev/null | awk -F": " '$2 !~ /^seets/ { print "bridge port " $2 }'
  see_cgroup_dirs "${SEE_NODE_CGROUP_PARENT#/}" | while read -r c; do
    find "$c" -mindepth 1 -type d -name 'pod*' | sed 's/^/cgroup /'
  done
  ls -A "$SEE_NODE_POD_LOG_DIR" "$d/pods" 2>/dev/null | grep -v ':$' | grep . | sed 's/^/pod dir /'
  for f in "${CRI_SOCKETS[@]}"; do [[ -e $f ]] && echo "socket $f"; done
  return 0
}

# Records the sockets of the running shims (their -socket argument), for cri_leftovers.
CRI_SOCKETS=()
cri_record_sockets() {
  local p s
  for p in $(cri_shim_pids); do
    s=$(tr '\0' '\n' <"/proc/$p/cmdline" | awk 'prev == "-socket" { print } { prev = $0 }')
    [[ -n $s ]] && CRI_SOCKETS+=("$s")
  done
  return 0
}

# cri_expect_clean WHAT: waits (bounded) for the host to be clean, then checks it is.
cri_expect_clean() {
  local what=$1 left deadline=$((SECONDS + 30))
  while :; do
    left=$(cri_leftovers)
    [[ -z $left || $SECONDS -ge $deadline ]] && break
    sleep 0.5
  done
  see_expect_eq "$what: nothing left on the host" "" "$left"
}

# cri_exec POD CONTAINER CMD...: a command in a container (CRI ExecSync), its output and exit code.
cri_exec() {
  local pod=$1 c=$2
  shift 2
  see_seectl exec -c "$c" "$pod" -- "$@"
}
