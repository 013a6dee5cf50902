# A private containerd 1.6 for tests: own root, state, sockets, config and namespace, under a
# temp dir; never the system's /run/containerd or /var/lib/containerd. Source e2e/lib/common.sh first.
#
#   see_containerd_start [RUNSEE_BINARY]   starts it; sets the variables below; installs an EXIT trap
#                                          that calls see_containerd_stop (chain your own cleanup
#                                          through SEE_CLEANUP_HOOKS+=(fn) instead of a second trap)
#   see_ctr ARGS...                        ctr against it, in namespace $SEE_CTRD_NS
#   see_ctr_run RUNTIME ARGS...            `ctr run` with the runtime's options (see below)
#   see_containerd_stop                    kills tasks, deletes containers, stops containerd and
#                                          stray shims, unmounts, removes cgroups and the temp dir
#
# How ctr 1.6 selects a runtime with options: `ctr run` only takes the runtime *type*
# (--runtime io.containerd.runc.v2); the per-runtime options of config.toml
# ([...cri.containerd.runtimes.NAME.options] BinaryName/Root) are read by the CRI plugin only.
# For ctr, the runc.v2 shim options are given per container with `--runc-binary` and
# `--runc-root`, which is what see_ctr_run does. config.toml still registers `runc` and `runsee`
# under the CRI plugin so that a CRI suite (which enables that plugin) gets the same runtimes.
#
# Outside the temp dir: containerd-shim-runc-v2 1.6 always puts its socket in /run/containerd/s/<hash
# of address+ns+id> (removed on task delete); ctr's FIFOs go to $SEE_CTRD_DIR/fifo (--fifo-dir) for
# run and exec.
#
# SEE_CTRD_ENABLE_CRI=1 before see_containerd_start keeps the CRI plugin (off by default: faster).
# SEE_CTRD_CONFIG_HOOK=FN: see_containerd_start calls `FN CONFIG_TOML` once the instance dir
# exists and before containerd starts, so a caller (e2e/node/node.sh) can append configuration
# and prepare files under $SEE_CTRD_DIR; a non-zero return fails the start.
#
# Variables: SEE_CTRD_DIR (temp dir), SEE_CTRD_ADDR (grpc socket), SEE_CTRD_NS (namespace, unique
# per instance so cgroups /sys/fs/cgroup/*/$SEE_CTRD_NS/<id> never collide), SEE_CTRD_SNAPSHOTTER,
# SEE_RUNTIME_BIN_<name> and SEE_RUNTIME_ROOT_<name> for name in runc runsee.

SEE_CLEANUP_HOOKS=()

_see_overlay_works() {
  local d=$1/ovl-probe rc=0
  mkdir -p "$d"/{l,u,w,m}
  mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null || rc=1
  ((rc == 0)) && umount "$d/m"
  rm -rf "$d"
  return $rc
}

see_containerd_start() {
  local runsee=${1:-}
  _see_reap_stale_instances
  SEE_CTRD_DIR=$(mktemp -d "${SEE_TMPDIR:-/var/tmp}/see-ctrd.XXXXXX")
  # A tmpfs: image import, snapshots and the final removal are much faster than on the disk
  # (whose ext4 issues a discard per freed extent), and unmounting it is the whole cleanup.
  mount -t tmpfs -o size=${SEE_CTRD_TMPFS_SIZE:-4g},mode=0755 see-ctrd "$SEE_CTRD_DIR"
  echo $$ >"$SEE_CTRD_DIR/owner.pid"
  SEE_CTRD_ADDR=$SEE_CTRD_DIR/containerd.sock
  SEE_CTRD_NS=see-${SEE_CTRD_DIR##*.}
  SEE_CTRD_NS=${SEE_CTRD_NS,,}
  trap 'see_containerd_stop' EXIT
  trap 'exit 130' INT TERM
  SEE_RUNTIME_BIN_runc=$(command -v runc)
  SEE_RUNTIME_ROOT_runc=$SEE_CTRD_DIR/runtime-root/runc
  SEE_RUNTIME_BIN_runsee=${runsee:-}
  SEE_RUNTIME_ROOT_runsee=$SEE_CTRD_DIR/runtime-root/runsee
  mkdir -p "$SEE_RUNTIME_ROOT_runc" "$SEE_RUNTIME_ROOT_runsee"

  SEE_CTRD_SNAPSHOTTER=overlayfs
  _see_overlay_works "$SEE_CTRD_DIR" || SEE_CTRD_SNAPSHOTTER=native

  cat >"$SEE_CTRD_DIR/config.toml" <<EOF
version = 2
root = "$SEE_CTRD_DIR/root"
state = "$SEE_CTRD_DIR/state"
# Only what ctr-driven tests need; a CRI suite removes the CRI plugin from this list.
disabled_plugins = [
$( [[ -n ${SEE_CTRD_ENABLE_CRI:-} ]] || echo '  "io.containerd.grpc.v1.cri",')
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$SEE_CTRD_ADDR"
[ttrpc]
  address = "$SEE_CTRD_ADDR.ttrpc"
[debug]
  address = "$SEE_CTRD_DIR/debug.sock"
  level = "info"
[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "$SEE_CTRD_SNAPSHOTTER"
  default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    pod_annotations = ["see.dev/*"]
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      BinaryName = "$SEE_RUNTIME_BIN_runc"
      Root = "$SEE_RUNTIME_ROOT_runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsee]
    runtime_type = "io.containerd.runc.v2"
    pod_annotations = ["see.dev/*"]
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsee.options]
      BinaryName = "${SEE_RUNTIME_BIN_runsee:-/nonexistent/runsee}"
      Root = "$SEE_RUNTIME_ROOT_runsee"
EOF
  if [[ -n ${SEE_CTRD_CONFIG_HOOK:-} ]]; then
    "$SEE_CTRD_CONFIG_HOOK" "$SEE_CTRD_DIR/config.toml" || return 1
  fi
  containerd --config "$SEE_CTRD_DIR/config.toml" >"$SEE_CTRD_DIR/containerd.log" 2>&1 &
  SEE_CTRD_PID=$!
  if ! see_wait_for 30 see_ctr version; then
    see_log "containerd did not come up; log:"
    tail -30 "$SEE_CTRD_DIR/containerd.log" >&2
    return 1
  fi
  see_log "containerd pid $SEE_CTRD_PID at $SEE_CTRD_ADDR (ns $SEE_CTRD_NS, snapshotter $SEE_CTRD_SNAPSHOTTER)"
}

# Cleans up instances whose owning test died without its EXIT trap (e.g. SIGKILL by a timeout).
_see_reap_stale_instances() {
  local d owner ns p
  for d in "${SEE_TMPDIR:-/var/tmp}"/see-ctrd.*; do
    [[ -d $d ]] || continue
    owner=$(cat "$d/owner.pid" 2>/dev/null || echo 0)
    [[ $owner != 0 ]] && kill -0 "$owner" 2>/dev/null && continue
    see_log "reaping stale containerd instance $d (owner $owner gone)"
    for p in $(see_pids_matching "$d/"); do kill -9 "$p" 2>/dev/null || true; done
    ns=see-${d##*.}
    see_rmdir_cgroups "${ns,,}"
    see_unmount_under "$d"
    rm -rf "$d"
  done
}

see_ctr() { ctr --address "$SEE_CTRD_ADDR" -n "$SEE_CTRD_NS" "$@"; }

# see_ctr_run RUNTIME [ctr run flags...] IMAGE ID [CMD...]
see_ctr_run() {
  local rt=$1
  shift
  local bin_var=SEE_RUNTIME_BIN_$rt root_var=SEE_RUNTIME_ROOT_$rt
  [[ -n ${!bin_var:-} ]] || { echo "see_ctr_run: no binary for runtime $rt" >&2; return 2; }
  see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --runtime io.containerd.runc.v2 \
    --fifo-dir "$SEE_CTRD_DIR/fifo" --runc-binary "${!bin_var}" --runc-root "${!root_var}" "$@"
}

# see_ctr_import IMAGE_NAME: imports the cached OCI archive of scripts/images.sh.
see_ctr_import() {
  see_ctr images import --snapshotter "$SEE_CTRD_SNAPSHOTTER" \
    "$SEE_IMAGE_CACHE/$1/oci.tar" >/dev/null
}

see_containerd_stop() {
  local rc=$?
  set +e
  local h
  for h in "${SEE_CLEANUP_HOOKS[@]}"; do "$h"; done
  [[ -n ${SEE_CTRD_DIR:-} && -d $SEE_CTRD_DIR ]] || return $rc
  if [[ -n ${SEE_CTRD_PID:-} ]] && kill -0 "$SEE_CTRD_PID" 2>/dev/null; then
    local id
    for id in $(see_ctr tasks ls -q 2>/dev/null); do
      see_ctr tasks resume "$id" >/dev/null 2>&1
      see_ctr tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
    done
    for id in $(see_ctr tasks ls -q 2>/dev/null); do
      see_wait_for 10 _see_task_stopped "$id"
      see_ctr tasks rm -f "$id" >/dev/null 2>&1
    done
    for id in $(see_ctr containers ls -q 2>/dev/null); do
      see_ctr containers rm "$id" >/dev/null 2>&1
    done
    kill "$SEE_CTRD_PID" 2>/dev/null
    see_wait_for 10 bash -c "! kill -0 $SEE_CTRD_PID"
    kill -9 "$SEE_CTRD_PID" 2>/dev/null
    wait "$SEE_CTRD_PID" 2>/dev/null
  fi
  # A containerd restarted in a subshell (a restart test) is not $SEE_CTRD_PID here: every
  # containerd of this instance carries its config path on its command line.
  local p
  for p in $(see_pids_matching "$SEE_CTRD_DIR/config.toml"); do kill -9 "$p" 2>/dev/null; done
  # Shims of this instance carry its socket address on their command line.
  for p in $(see_pids_matching "$SEE_CTRD_ADDR"); do kill -9 "$p" 2>/dev/null; done
  see_rmdir_cgroups "$SEE_CTRD_NS"
  if [[ -z ${SEE_KEEP_TMP:-} ]]; then
    see_unmount_under "$SEE_CTRD_DIR"
    rm -rf "$SEE_CTRD_DIR"
  else
    see_unmount_under "$SEE_CTRD_DIR/root"
    see_unmount_under "$SEE_CTRD_DIR/state"
    see_log "kept $SEE_CTRD_DIR (a tmpfs; umount it when done)"
  fi
  SEE_CTRD_DIR=
  return $rc
}

_see_task_stopped() {
  local st
  st=$(see_ctr tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }')
  [[ -z $st || $st == STOPPED ]]
}

# see_task_status ID: RUNNING, PAUSED, STOPPED, ... (empty when there is no task)
see_task_status() {
  see_ctr tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

# see_run_capture RUNFN NAME WANT_RC WANT_OUT ARGS...: `RUNFN --rm ARGS...` (a suite's ctr run
# wrapper), then checks its exit code and stdout; shows stderr when the exit code is wrong.
see_run_capture() {
  local runfn=$1 name=$2 want_rc=$3 want_out=$4
  shift 4
  local out rc=0
  out=$("$runfn" --rm "$@" 2>"$SEE_CTRD_DIR/err") || rc=$?
  see_expect_eq "$name: exit code" "$want_rc" "$rc"
  see_expect_eq "$name: stdout" "$want_out" "$out"
  if [[ $rc != "$want_rc" ]]; then sed 's/^/    stderr: /' "$SEE_CTRD_DIR/err" >&2; fi
}
