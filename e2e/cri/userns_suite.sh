#!/usr/bin/env bash
# CRI suite: the pod user namespace (issue 3, identity), through the embedded node stack. The
# stack's containerd (1.6) knows nothing of user namespaces: the see shim adds one per pod.
# - a container's root is a host uid of the pod's claimed 65536-id range (/proc/<pid>/status on
#   the host), 0 inside; the pod's containers share the namespace; two pods get disjoint ranges;
# - the pod's own volumes (emptyDir) are id-mapped: what root writes there is owned by 0 on disk;
# - attack: in a hostPath volume (not id-mapped) what "root" creates, setuid included, is owned by
#   the pod's unprivileged host uid, never by host root; host root's files there are not its own
#   (also through the sentry, which serves from inside the pod's user namespace: its capabilities
#   cover the pod's ids only);
# - served calls see the pod's ids (stat shows 0 for the image's root files) and the pod root's
#   capabilities (chown, DAC override on the pod's own files);
# - a pod may keep host ids (see.dev/user-namespace: host), and a hostNetwork pod keeps them by
#   default, all its containers alike;
# - attack: a hostPID pod sees every process of the node, the pods' see-sentry among them: their
#   memory, environment, maps, fds and /proc links stay closed to its root (ptrace, pidfd_getfd,
#   process_vm_readv, /proc/PID/mem and the rest: attacks.c --comm), as natively for containerd
#   and the shims;
# - removing the pods frees their ranges (the claim files go) and leaves nothing behind.
#
#   e2e/cri/userns_suite.sh BIN_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Pod user namespaces are the default; hostPaths unmapped, so that the attack below shows what
# that option keeps from the pod (the default id-maps them: e2e.cri.limits).
export SEE_NODE_SHIM_CONFIG="host_paths: unmapped"
cri_suite_start "${1:-}" attacks

CLAIMS=/run/containerd/see-pods

# userns_pod NAME [USER_NAMESPACE]: the pod's manifest; USER_NAMESPACE (pod|host) as the pod's
# see.dev/user-namespace annotation.
userns_pod() {
  local name=$1 annotations="{}"
  [[ -n ${2:-} ]] && annotations="{see.dev/user-namespace: $2}"
  mkdir -p "$CRI_WORK/$name-host"
  chmod 0777 "$CRI_WORK/$name-host"  # the suite's own dir: writable by the pod's host uid
  echo secret >"$CRI_WORK/$name-host/host-root-file"
  chmod 0600 "$CRI_WORK/$name-host/host-root-file"
  cat >"$CRI_WORK/$name.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  annotations: $annotations
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "echo up; exec sleep 3600"]
      volumeMounts:
        - {name: scratch, mountPath: /scratch}
        - {name: host, mountPath: /host}
    - name: side
      image: $BB
      command: ["/bin/sh", "-c", "exec sleep 3600"]
  volumes:
    - {name: scratch, emptyDir: {}}
    - name: host
      hostPath: {path: $CRI_WORK/$name-host, type: Directory}
EOF
}

userns_pod ua
userns_pod ub
cri_apply ua || see_finish userns_suite
cri_apply ub || see_finish userns_suite
cri_record_sockets

pa=$(cri_task_pid ua main)
pb=$(cri_task_pid ub main)
pa_side=$(cri_task_pid ua side)
read -r ua_uid ua_gid <<<"$(cri_host_ids "$pa")"
read -r ub_uid ub_gid <<<"$(cri_host_ids "$pb")"
see_log "ua: root is host uid $ua_uid, ub: $ub_uid"
see_expect_eq "ua: root is not host root" 1 "$((ua_uid != 0))"
see_expect_eq "ua: uid = gid" "$ua_uid" "$ua_gid"
see_expect_eq "ua: uid is a range base (default from 2^30, 65536 each)" 1 \
  "$((ua_uid >= 1073741824 && ua_uid % 65536 == 0))"
see_expect_eq "ua: the range is claimed" 1 "$([[ -f $CLAIMS/.userns-$ua_uid ]] && echo 1 || echo 0)"
see_expect_eq "ua and ub: disjoint ranges" 1 \
  "$((ub_uid >= 1073741824 && ub_uid % 65536 == 0 && (ub_uid >= ua_uid + 65536 || ua_uid >= ub_uid + 65536)))"
see_expect_eq "ua: uid_map" "0 $ua_uid 65536" "$(awk '{ print $1, $2, $3 }' "/proc/$pa/uid_map")"
see_expect_eq "ua: the pod's containers share the user namespace" \
  "$(readlink "/proc/$pa/ns/user")" "$(readlink "/proc/$pa_side/ns/user")"
see_expect_eq "ua and ub: different user namespaces" 1 \
  "$([[ $(readlink "/proc/$pa/ns/user") != $(readlink "/proc/$pb/ns/user") ]] && echo 1 || echo 0)"
see_expect_eq "ua: root inside" "0 0" "$(cri_exec ua main sh -c 'echo $(id -u) $(id -g)' 2>&1)"
# The pod's sentry serves from inside the pod's user namespace (its registrar stays outside):
# served calls see the pod's ids and have the pod root's capabilities over the pod's files only.
n_inside=0
for s in $(pgrep -x see-sentry); do
  if [[ $(readlink "/proc/$s/ns/user" 2>/dev/null) == "$(readlink "/proc/$pa/ns/user")" ]]; then
    n_inside=$((n_inside + 1))
    see_expect_eq "ua: its sentry is the pod's root (host uid $ua_uid)" "$ua_uid" \
      "$(awk '/^Uid:/ { print $2 }' "/proc/$s/status")"
  fi
done
see_expect_eq "ua: one sentry inside the pod's user namespace" 1 "$n_inside"
see_expect_eq "ua: served stat shows the image's ids" "0 0" \
  "$(cri_exec ua main stat -c '%u %g' /bin/busybox 2>&1)"
see_expect_eq "ua: root's chown (served) works" "1000 1000" \
  "$(cri_exec ua main sh -c 'touch /tmp/c && chown 1000:1000 /tmp/c && stat -c "%u %g" /tmp/c' 2>&1)"
see_expect_eq "ua: root's DAC override in served calls" "ok" \
  "$(cri_exec ua main sh -c 'mkdir /tmp/locked && chmod 000 /tmp/locked && echo x >/tmp/locked/f && cat /tmp/locked/f >/dev/null && echo ok' 2>&1)"
see_expect_eq "ua: a non-root user in the pod still gets EACCES" "denied" \
  "$(cri_exec ua main sh -c 'mkdir /tmp/l2 && chmod 700 /tmp/l2 && su -s /bin/sh nobody -c "ls /tmp/l2" >/dev/null 2>&1 && echo allowed || echo denied' 2>&1)"
see_expect_eq "ua: root writes its rootfs" "ok" "$(cri_exec ua main sh -c 'echo x >/etc/made && echo ok' 2>&1)"
rootfs_file=$(find "$SEE_NODE_DIR" -path '*/fs/etc/made' 2>/dev/null | head -1)
see_expect_eq "ua: a rootfs file written by root is owned by 0 in the upper layer" "0 0" \
  "$(stat -c '%u %g' "$rootfs_file" 2>&1)"

# The pod's own volume (emptyDir): id-mapped.
see_expect_eq "ua: emptyDir write" "ok" \
  "$(cri_exec ua main sh -c 'echo x >/scratch/by-root && mkdir /scratch/dir && echo ok' 2>&1)"
f=$(find "$SEE_NODE_DIR/pods" -path '*kubernetes.io~empty-dir/scratch/by-root' 2>/dev/null | head -1)
see_expect_eq "ua: emptyDir file of the pod's root is owned by 0 on disk" "0 0" "$(stat -c '%u %g' "$f" 2>&1)"
see_expect_eq "ua: emptyDir dir of the pod's root is owned by 0 on disk" "0" "$(stat -c '%u' "${f%/*}/dir" 2>&1)"

# Attack through a hostPath volume: not id-mapped, so "root" is the pod's host uid there.
out=$(cri_exec ua main sh -c 'cp /bin/busybox /host/suid && chmod 4755 /host/suid && touch /host/by-root && echo ok' 2>&1 || true)
see_expect_eq "ua: hostPath write" "ok" "$out"
see_expect_eq "ua: setuid file in hostPath is not host root's" "$ua_uid" "$(stat -c '%u' "$CRI_WORK/ua-host/suid" 2>&1)"
see_expect_eq "ua: file created in hostPath is the pod's host uid" "$ua_uid $ua_gid" \
  "$(stat -c '%u %g' "$CRI_WORK/ua-host/by-root" 2>&1)"
rc=0
cri_exec ua main cat /host/host-root-file >/dev/null 2>&1 || rc=$?
see_expect_eq "ua: host root's 0600 file in hostPath is unreadable" 1 "$((rc != 0))"
rc=0
cri_exec ua main sh -c 'echo 1 >/proc/sys/kernel/sysrq' >/dev/null 2>&1 || rc=$?
see_expect_eq "ua: host sysctl not writable" 1 "$((rc != 0))"
# /proc/sys/net is the pod's network namespace (owned by the host: the sentry inside the pod's
# user namespace joined it before), not the host's with its bridge.
see_expect_eq "ua: /proc/sys/net shows the pod's interfaces" "eth0 no-bridge" \
  "$(cri_exec ua main sh -c "ls /proc/sys/net/ipv4/conf | grep -qx eth0 && echo -n 'eth0 '; \
     ls /proc/sys/net/ipv4/conf | grep -q '^seebr' && echo bridge || echo no-bridge" 2>&1)"

# proc, sysfs, mqueue, devpts, cgroup mounts in the pod's user namespace.
see_expect_match "ua: mounts" "proc.*sysfs|sysfs.*proc" \
  "$(cri_exec ua main sh -c 'cat /proc/mounts | cut -d" " -f3 | sort -u | tr "\n" " "' 2>&1)"
see_expect_eq "ua: /sys readable" "ok" "$(cri_exec ua main sh -c 'ls /sys/class/net >/dev/null && echo ok' 2>&1)"

rc=0
see_seectl delete pod ua --now >/dev/null 2>&1 || rc=$?
see_expect_eq "ua: delete" 0 "$rc"
see_check "ua: range released" see_wait_for 30 test ! -e "$CLAIMS/.userns-$ua_uid"
see_expect_eq "ub: still claimed" 1 "$([[ -f $CLAIMS/.userns-$ub_uid ]] && echo 1 || echo 0)"
see_check "ub: delete" see_seectl delete pod ub --now
see_check "ub: range released" see_wait_for 30 test ! -e "$CLAIMS/.userns-$ub_uid"

# A pod chooses for itself: see.dev/user-namespace: host keeps host ids on this pod-mode node.
userns_pod uc host
rc=0
cri_apply uc || rc=$?
see_expect_eq "uc: applied" 0 "$rc"
if ((rc == 0)); then
  see_expect_eq "uc (see.dev/user-namespace: host): root is host root" "0 0" "$(cri_host_ids "$(cri_task_pid uc main)")"
  see_expect_eq "uc: no range claimed" 0 "$(find "$CLAIMS" -maxdepth 1 -name '.userns-*' | wc -l)"
fi
see_check "uc: delete" see_seectl delete pod uc --now

# A pod in the host's network namespace keeps host ids by the node's default (Kubernetes refuses
# hostUsers: false there), its app containers too, though they name the sandbox's (the host's)
# namespace by path where the sandbox's spec has none.
userns_pod ud
sed -i 's/^spec:$/spec:\n  hostNetwork: true/' "$CRI_WORK/ud.yaml"
rc=0
cri_apply ud || rc=$?
see_expect_eq "ud (hostNetwork): applied" 0 "$rc"
if ((rc == 0)); then
  see_expect_eq "ud (hostNetwork): main's root is host root" "0 0" "$(cri_host_ids "$(cri_task_pid ud main)")"
  see_expect_eq "ud (hostNetwork): side's root is host root" "0 0" "$(cri_host_ids "$(cri_task_pid ud side)")"
  see_expect_eq "ud: no range claimed" 0 "$(find "$CLAIMS" -maxdepth 1 -name '.userns-*' | wc -l)"
fi
see_check "ud: delete" see_seectl delete pod ud --now

# Identity from the first program on, in a pod that keeps host ids (there the sentry reads the
# runtime init's identity at its execve; in a pod user namespace it cannot read that init): a
# container with runAsUser 1000 is served as uid 1000, refused root's 0600 file by its first
# program's own call (sh's redirection). (The regression test for the exec identity fix is the
# sandbox suite's run-as-user workload and NotifyLoopTest.AnExecdProgramIsServedWithItsNewIdentity:
# containerd 1.6's spec for this container did not make the old code fail here.) no_new_privs
# follows allowPrivilegeEscalation (Kubernetes' default: not set).
nnp_cmd='while read k v; do [ \"$k\" = NoNewPrivs: ] && echo \"nnp $v\"; done </proc/self/status'
cat >"$CRI_WORK/ue.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ue
  annotations: {see.dev/user-namespace: host}
spec:
  runtimeClassName: see
  terminationGracePeriodSeconds: 2
  containers:
    - name: root
      image: $BB
      command: ["/bin/sh", "-c", "echo s >/scratch/root-only; chmod 600 /scratch/root-only; touch /scratch/ready; exec sleep 3600"]
      volumeMounts: [{name: scratch, mountPath: /scratch}]
    - name: user
      image: $BB
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      command: ["/bin/sh", "-c", "while [ ! -e /scratch/ready ]; do sleep 0.1; done; if { read l </scratch/root-only; } 2>/dev/null; then echo read; else echo refused; fi; $nnp_cmd; exec sleep 3600"]
      volumeMounts: [{name: scratch, mountPath: /scratch}]
    - name: strict
      image: $BB
      securityContext: {allowPrivilegeEscalation: false}
      command: ["/bin/sh", "-c", "$nnp_cmd; exec sleep 3600"]
  volumes:
    - {name: scratch, emptyDir: {}}
EOF
ue_logs() { see_seectl logs ue -c "$1" 2>/dev/null | tr '\n' ' '; }
ue_reported() { [[ $(ue_logs "$1") == *nnp* ]]; }
rc=0
cri_apply ue || rc=$?
see_expect_eq "ue: applied" 0 "$rc"
if ((rc == 0)); then
  see_wait_for 30 ue_reported user || true
  see_wait_for 30 ue_reported strict || true
  see_expect_eq "ue: runAsUser 1000 is refused root's 0600 file from its first program on" \
    "refused nnp 0 " "$(ue_logs user)"
  see_expect_eq "ue: allowPrivilegeEscalation: false sets no_new_privs" "nnp 1 " "$(ue_logs strict)"
fi
see_check "ue: delete" see_seectl delete pod ue --now
# hostPID: the pod's root (host ids, default capabilities) sees the node's see-sentry processes,
# its own pod's among them. A served open runs on a thread of the sentry, which the kernel lets
# into its own /proc entries unchecked: those must stay refused as they are natively.
ATT=$(see_node_image attacks)
cat >"$CRI_WORK/uf.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: uf
spec:
  runtimeClassName: see
  hostPID: true
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: $ATT
      command: ["/bin/sleep", "3600"]
EOF
rc=0
cri_apply uf || rc=$?
see_expect_eq "uf (hostPID): applied" 0 "$rc"
if ((rc == 0)); then
  # The targets, as the host names them (the same pids: the pod is in the host's pid namespace):
  # the shims, every see-sentry process below them (pod inits, servers) and containerd.
  shims=$(cri_shim_pids | tr '\n' ' ')
  sentries=$(see_sentry_tree $shims | tr '\n' ' ')
  targets=$(echo $shims $sentries $SEE_CTRD_PID | tr ' ' ',')
  see_expect_eq "uf: the shims and sentries are found on the host" 1 "$([[ -n $shims && -n $sentries ]] && echo 1 || echo 0)"
  out=$(cri_exec uf main /attacks --pids "$targets" \
    --only ptrace_foreign,vm_readv_foreign,proc_foreign 2>&1 || true)
  see_log "uf: targets $targets: $(grep '^ATTEMPT' <<<"$out" | cut -f2,4,5 | cut -c1-400)"
  for a in ptrace_foreign vm_readv_foreign proc_foreign; do
    see_expect_eq "uf (hostPID): $a on see-sentry, the shims and containerd" BLOCKED \
      "$(awk -F'\t' -v a="$a" '$1 == "ATTEMPT" && $2 == a { print $4 }' <<<"$out")"
  done
fi
see_check "uf: delete" see_seectl delete pod uf --now

# A pod sharing one pid namespace (shareProcessNamespace; kubectl debug --target joins a
# container's): a container walks below another container's root through /proc/<pid>/root, and
# from a cwd there, as Linux lets it (the kernel's ptrace-read check with the caller's identity,
# then the walk in the other tree, where an absolute symlink leads back to the caller's own root).
cat >"$CRI_WORK/ug.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ug
spec:
  runtimeClassName: see
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: $BB
      command: ["/bin/sh", "-c", "echo main-root >/marker && ln -s /marker /abs-link && exec sleep 3600"]
    - name: side
      image: $BB
      command: ["/bin/sh", "-c", "echo side-root >/marker && exec sleep 3600"]
EOF
rc=0
cri_apply ug || rc=$?
see_expect_eq "ug (shareProcessNamespace): applied" 0 "$rc"
if ((rc == 0)); then
  walk='for p in /proc/[0-9]*; do
    [ "$(cat $p/root/marker 2>/dev/null)" = main-root ] || continue
    cd $p/root && cat marker && cat ./abs-link && ls $p/root/ | grep -cx marker && exit 0
  done; echo "no process of main found"'
  for _ in $(seq 20); do  # main's links are made by its first command
    [[ -n $(cri_exec ug main cat /abs-link 2>/dev/null) ]] && break
    sleep 0.5
  done
  see_expect_eq "ug: side walks below main's root (/proc/<pid>/root/marker, then from a cwd there)" \
    "$(printf 'main-root\nside-root\n1')" "$(cri_exec ug side sh -c "$walk" 2>&1)"
fi
see_check "ug: delete" see_seectl delete pod ug --now
cri_expect_clean "userns pods"

see_finish userns_suite
