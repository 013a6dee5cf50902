#!/bin/sh
# crun as a runc-compatible binary for containerd-shim-runc-v2 (--runc-binary) on a cgroup v1
# hybrid host: crun refuses hybrid mode ("cgroups in hybrid mode not supported, drop all
# controllers from cgroupv2") because the cgroup2 mount at /sys/fs/cgroup/unified holds a
# controller. Each call runs in a private mount namespace without that mount, so crun sees the
# same pure cgroup v1 host the other runtimes use; the host's mounts are not changed.
# (The whole benchmark can't run in such a namespace: the harness's tmpfs would be invisible to
# the stale-instance reaper of other containerd.sh users, which would then remove it.)
exec unshare -m --propagation private sh -c \
  'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi; exec /usr/bin/crun "$@"' crun "$@"
