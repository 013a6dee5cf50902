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
# `runsc kill` of a container whose sandbox has exited says "sandbox is not running"; the runc
# shim only takes runc's wording ("container not running") for "already finished", and otherwise
# fails the task delete, which containerd's CRI retries for ever. The message is translated.
RUN='exec '"$RUNSC"' "$@"'
case " $* " in
  *" start "*)
    RUN='o=$(mktemp); '"$RUNSC"' "$@" >"$o" 2>&1; rc=$?; cat "$o"; rm -f "$o"; exit $rc' ;;
  *" kill "*)
    RUN='o=$(mktemp); '"$RUNSC"' "$@" >"$o" 2>&1; rc=$?
      if [ $rc != 0 ] && grep -q "is not running" "$o"; then echo "container not running ($(cat "$o"))"; else cat "$o"; fi
      rm -f "$o"; exit $rc' ;;
esac
# `runsc create` of such a sub-container writes the sandbox's pid as the container's pid, which
# the runc shim then waits on: the app container's exit was never seen (the shim matched the
# sandbox's exit to the pause container only) and every CRI StopContainer timed out. So after a
# sub-container's create, the pid file gets the pid of a waiter instead: a process that waits
# until the container has started, then runs `runsc wait` on it and exits when the container
# exits (the shim, a child subreaper, reaps it as the container's exit; its status is runsc
# wait's, not the container's). bench/lib/pss.py counts the waiter apart (component
# runsc-waiter), not in a pod's PSS.
case " $* " in
  *" create "*)
    root= bundle= pidfile= prev= id=
    for a in "$@"; do
      case $prev in
        --root) root=$a ;;
        --bundle | -b) bundle=$a ;;
        --pid-file) pidfile=$a ;;
      esac
      case $a in
        --root=*) root=${a#--root=} ;;
        --bundle=*) bundle=${a#--bundle=} ;;
        --pid-file=*) pidfile=${a#--pid-file=} ;;
      esac
      prev=$a id=$a
    done
    if [ -n "$pidfile" ] && [ -n "$root" ] && [ -f "$bundle/config.json" ] &&
      grep -q '"io.kubernetes.cri.container-type": *"container"' "$bundle/config.json"; then
      RUN="$RUNSC"' "$@" || exit
        setsid sh -c '"'"'
          while out=$(/usr/bin/runsc --root "$1" state "$2" 2>/dev/null); do
            case $out in *\"status\":\ \"created\"*) sleep 0.05 ;; *) exec /usr/bin/runsc --root "$1" wait "$2" ;; esac
          done'"'"' runsc-waiter '"$root $id"' </dev/null >/dev/null 2>&1 &
        printf %s $! >'"$pidfile"
    fi ;;
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
