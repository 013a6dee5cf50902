#!/bin/sh
# gVisor's runsc as a runc-compatible binary for containerd-shim-runc-v2 (--runc-binary), with
# the flags this kind of host needs: no KVM in the VM (ptrace platform) and no CNI for ctr-started
# containers (network=none: runsc's own netstack with loopback only). It works on the cgroup v1
# hybrid host without --ignore-cgroups.
#
# runsc starts its sandbox as uid 65534 in a user namespace and re-executes /proc/self/exe; on a
# host whose / is mode 0700 (this VM's environment sets that) nobody can resolve any absolute
# path, so that exec fails with EACCES. When / is not searchable by others, runsc therefore runs
# in a private mount namespace whose root (pivot_root, not chroot: a chrooted process may not
# create the user namespace) is a mode-0755 tmpfs holding bind mounts of the host's top-level
# directories that runsc needs. Nothing changes on the host; runsc's own sandbox set-up is unchanged.
RUNSC="/usr/bin/runsc --platform=ptrace --network=none"
# SEE_RUNSC_DEBUG_DIR (in containerd's environment): runsc's debug logs go there.
[ -z "${SEE_RUNSC_DEBUG_DIR:-}" ] || RUNSC="$RUNSC --debug --debug-log=$SEE_RUNSC_DEBUG_DIR/"
# `runsc start` of a pod's second container (CRI: the app container joining the pause container's
# sandbox) spawns that container's gofer, which inherits start's stdout/stderr. The runc shim reads
# start's output until EOF, so it would wait as long as the gofer lives (CRI StartContainer timed
# out). For `start`, runsc's output therefore goes to a file that is copied out once runsc exits
# (the gofer keeps only that file open). gVisor's own shim (containerd-shim-runsc-v1, not packaged
# by Debian) does the equivalent.
RUN='exec '"$RUNSC"' "$@"'
case " $* " in
  *" start "*)
    RUN='o=$(mktemp); '"$RUNSC"' "$@" >"$o" 2>&1; rc=$?; cat "$o"; rm -f "$o"; exit $rc' ;;
esac
if [ "$(stat -c %a /)" = 755 ] || [ -n "${SEE_RUNSC_NO_CHROOT:-}" ]; then
  exec sh -c "$RUN" runsc "$@"
fi
# Bound into the new root: what runsc needs (its binary, /proc for /proc/self/exe, cgroups under
# /sys, devices, the bundle and state dirs under /var/tmp or /run, temp files, configuration).
NEWROOT=${SEE_RUNSC_ROOT_DIR:-/run/see-bench-runsc-root}
mkdir -p "$NEWROOT"
exec unshare -m --propagation private sh -c '
  set -e
  r=$1; shift
  mount -t tmpfs -o mode=0755,size=1m see-runsc-root "$r"
  for d in /usr /proc /sys /dev /var /run /tmp /etc /bin /sbin /lib /lib64; do
    n=${d#/}
    if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$r/$n"
    elif [ -d "$d" ]; then mkdir "$r/$n"; mount --rbind "$d" "$r/$n"
    fi
  done
  mkdir "$r/.old"
  cd "$r"
  pivot_root . .old
  umount -l /.old
  rmdir /.old
  set +e
  '"$RUN" runsc "$NEWROOT" "$@"
