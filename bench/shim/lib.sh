# Shared set-up of the shim benchmarks (run_latency.sh, pss_breakdown.sh); source it after
# e2e/lib/common.sh and e2e/lib/containerd.sh.
#   shim_bench_start BINDIR    PATH gets BINDIR (containerd-shim-see-v2, see-sentry); RUNTIMES is
#                              set (see, plus seebase when SEE_BASELINE_SHIM names an older shim,
#                              copied to a temp dir removed at exit, failures included); starts the
#                              private containerd and imports busybox as $BB
#   shim_ctr_run RUNTIME ARGS  `ctr run` through io.containerd.RUNTIME.v2 (see, seebase)
#   shim_pid SHIM_NAME ID      pid of the shim serving container ID
shim_bench_start() {
  export PATH=$1:$PATH
  RUNTIMES=(see)
  if [[ -n ${SEE_BASELINE_SHIM:-} ]]; then
    # Before containerd starts: it finds shims on the PATH it started with.
    SHIM_BASEDIR=$(mktemp -d)
    trap _shim_bench_rm_basedir EXIT  # until see_containerd_start's trap runs the hook below
    SEE_CLEANUP_HOOKS+=(_shim_bench_rm_basedir)
    cp "$SEE_BASELINE_SHIM" "$SHIM_BASEDIR/containerd-shim-seebase-v2"
    cp "$1/see-sentry" "$SHIM_BASEDIR/"
    export PATH=$PATH:$SHIM_BASEDIR
    RUNTIMES+=(seebase)
  fi
  see_images busybox
  see_containerd_start  # its EXIT trap runs SEE_CLEANUP_HOOKS
  see_ctr_import busybox
  BB=see.local/busybox:latest
}
_shim_bench_rm_basedir() { rm -rf "$SHIM_BASEDIR"; }

shim_ctr_run() {
  local rt=$1
  shift
  see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --fifo-dir "$SEE_CTRD_DIR/fifo" \
    --runtime "io.containerd.$rt.v2" "$@"
}

shim_pid() {
  local p
  for p in $(see_pids_matching "$1"); do
    if tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "-id $2 "; then echo "$p"; fi
  done | head -1
}
