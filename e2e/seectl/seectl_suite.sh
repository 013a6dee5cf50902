#!/usr/bin/env bash
# seectl end to end: a private containerd 1.6 with its CRI plugin; seectl applies pods under the
# runtime handlers runc, runsee (runc.v2 shim + runsee) and see (containerd-shim-see-v2), and
# checks logs, exec, resources in the host cgroups, emptyDir, init containers, Jobs, delete, and
# that nothing is left (sandboxes, pod and log dirs, pod cgroups, shims).
#
#   e2e/seectl/seectl_suite.sh BIN_DIR        (BIN_DIR holds seectl, runsee, containerd-shim-see-v2)
#   SEE_SEECTL_HANDLERS="runc" e2e/seectl/seectl_suite.sh build/bin     (one handler only)
#
# Pods use hostNetwork: the private containerd has no CNI network of its own.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/containerd.sh"

BINDIR=$(readlink -f "${1:?usage: seectl_suite.sh BIN_DIR}")
SEECTL=$BINDIR/seectl
[[ -x $SEECTL ]] || { echo "no seectl in $BINDIR" >&2; exit 1; }
export PATH=$BINDIR:$PATH  # containerd finds containerd-shim-see-v2 here
HANDLERS=${SEE_SEECTL_HANDLERS:-runc runsee see}
for h in $HANDLERS; do
  case $h in
    see) [[ -x $BINDIR/containerd-shim-see-v2 ]] || { see_fail "no containerd-shim-see-v2 in $BINDIR"; } ;;
    runsee) [[ -x $BINDIR/runsee ]] || { see_fail "no runsee in $BINDIR"; } ;;
  esac
done

see_images busybox pause

# The CRI plugin's configuration (appended before containerd starts): see's pause image as the
# sandbox image, the `see` handler (containerd-shim-see-v2 from BIN_DIR via PATH). Without
# CAP_SYS_RESOURCE (some CI sandboxes) no process may lower its oom_score_adj and the CRI plugin's
# -998 for sandboxes (-997 for Guaranteed containers) fails in the runtime; then containerd clamps
# the values to its own, as in rootless set-ups.
_seectl_configure() {
  local restrict=false
  (echo -1 >/proc/self/oom_score_adj) 2>/dev/null || restrict=true
  cat >>"$1" <<TOML
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "see.local/pause:latest"
  restrict_oom_score_adj = $restrict
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.see]
  runtime_type = "io.containerd.see.v2"
  pod_annotations = ["see.dev/*"]
TOML
}
SEE_CTRD_CONFIG_HOOK=_seectl_configure
SEE_CTRD_ENABLE_CRI=1 see_containerd_start "$BINDIR/runsee"

# Images live in the CRI plugin's namespace, k8s.io.
kctr() { ctr --address "$SEE_CTRD_ADDR" -n k8s.io "$@"; }
for image in pause busybox; do
  kctr images import --snapshotter "$SEE_CTRD_SNAPSHOTTER" "$SEE_IMAGE_CACHE/$image/oci.tar" >/dev/null
done

CGPARENT=/$SEE_CTRD_NS/kubepods  # under the harness's namespace cgroup: removed on stop
LOGDIR=$SEE_CTRD_DIR/pod-logs
PODDIR=$SEE_CTRD_DIR/pods
mkdir -p "$LOGDIR" "$PODDIR"
sc() { "$SEECTL" --endpoint "unix://$SEE_CTRD_ADDR" "$@"; }
sc_apply() {
  sc apply --pod-log-dir "$LOGDIR" --pod-dir "$PODDIR" --cgroup-parent "$CGPARENT" \
    --image-pull IfNotPresent "$@"
}

# On any exit: delete every pod still there (the harness then stops containerd and the shims).
delete_all_pods() {
  local p
  for p in $(sc get pods -A -o json 2>/dev/null | python3 -c \
      'import json,sys; [print(p["namespace"]+"/"+p["name"]) for p in json.load(sys.stdin)["items"]]' \
      2>/dev/null); do
    sc -n "${p%%/*}" delete pod "${p#*/}" --grace-period 0 >/dev/null 2>&1 || true
  done
}
SEE_CLEANUP_HOOKS+=(delete_all_pods)

WORK=$SEE_CTRD_DIR/manifests
mkdir -p "$WORK"

see_log "--- version"
out=$(sc version 2>&1) || true
see_expect_match "version: runtime API v1" "RuntimeApiVersion: v1" "$out"
see_expect_match "version: runtime ready" "RuntimeReady: true" "$out"

see_log "--- refused manifests"
cat >"$WORK/priv.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  hostNetwork: true
  containers:
  - {name: c, image: see.local/busybox:latest, securityContext: {privileged: true}}
YAML
rc=0; out=$(sc_apply -f "$WORK/priv.yaml" 2>&1) || rc=$?
see_expect_eq "privileged: refused" 1 "$rc"
see_expect_match "privileged: names the field" \
  "spec.containers\[0\].securityContext.privileged: privileged containers are refused" "$out"
printf 'kind: Pod\nspec: [\n' >"$WORK/broken.yaml"
rc=0; out=$(sc_apply -f "$WORK/broken.yaml" 2>&1) || rc=$?
see_expect_eq "broken YAML: exit 1" 1 "$rc"
see_expect_match "broken YAML: position" "invalid YAML at line" "$out"
see_expect_eq "refusals created nothing" "" "$(sc get pods -A -o json | python3 -c \
  'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["items"]))')"

# pod_field NAME FIELD: a field of `get pods NAME -o json`.
pod_field() {
  sc get pods "$1" -o json | python3 -c "import json,sys; print(json.load(sys.stdin)['items'][0]['$2'])"
}
# ctr_id POD CONTAINER
ctr_id() {
  sc get pods "$1" -o json | python3 -c "
import json,sys
for c in json.load(sys.stdin)['items'][0]['containers']:
    if c['name'] == '$2': print(c['id'])"
}

run_pod_checks() {
  local handler=$1 pod=web-$1
  see_log "--- pod under handler $handler"
  cat >"$WORK/$pod.yaml" <<YAML
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: sandboxed}
handler: $handler
---
apiVersion: v1
kind: Pod
metadata:
  name: $pod
  labels: {app: web}
spec:
  runtimeClassName: sandboxed
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 8Mi}}
  - {name: host, hostPath: {path: $WORK/host-$handler, type: DirectoryOrCreate}}
  initContainers:
  - name: init
    image: see.local/busybox:latest
    command: [sh, -c, "echo from-init > /scratch/init"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  containers:
  - name: app
    image: see.local/busybox:latest
    command: [sh, -c]
    args: ["echo hello \$(WHO); echo oops >&2; exec sleep 3600"]
    env: [{name: WHO, value: world}]
    resources:
      requests: {cpu: 250m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
    securityContext: {runAsUser: 1000, runAsGroup: 1000}
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: mem, mountPath: /mem}
    - {name: host, mountPath: /host, readOnly: true}
YAML
  local out rc
  rc=0; out=$(sc_apply -f "$WORK/$pod.yaml" --wait --wait-timeout 60 2>&1) || rc=$?
  see_expect_eq "$handler: apply --wait" 0 "$rc"
  [[ $rc == 0 ]] || { echo "$out" >&2; tail -20 "$SEE_CTRD_DIR/containerd.log" >&2; return 0; }
  see_expect_match "$handler: apply output" "pod/$pod created .*handler $handler, qos Burstable" "$out"
  see_expect_eq "$handler: status" Running "$(pod_field "$pod" status)"
  see_expect_eq "$handler: ready" 1/1 "$(pod_field "$pod" ready)"
  see_expect_eq "$handler: runtime handler" "$handler" "$(pod_field "$pod" runtimeHandler)"
  rc=0; out=$(sc_apply -f "$WORK/$pod.yaml" 2>&1) || rc=$?
  see_expect_eq "$handler: re-apply is a no-op" "0 pod/$pod unchanged" "$rc $out"

  see_wait_for 10 bash -c "[[ \$('$SEECTL' --endpoint unix://$SEE_CTRD_ADDR logs $pod) == *oops* ]]" || true
  # stdout and stderr are two pipes: their relative order in the log is not defined.
  see_expect_eq "$handler: logs (stdout and stderr)" "hello world
oops" "$(sc logs "$pod" -c app | sort)"
  see_expect_eq "$handler: exec id" "1000 1000" "$(sc exec "$pod" -c app -- sh -c 'echo $(id -u) $(id -g)')"
  see_expect_eq "$handler: init container wrote the emptyDir" from-init \
    "$(sc exec "$pod" -- cat /scratch/init)"
  rc=0; sc exec "$pod" -- sh -c 'echo to-err >&2; exit 3' 2>"$WORK/err" || rc=$?
  see_expect_eq "$handler: exec exit code" 3 "$rc"
  see_expect_eq "$handler: exec stderr" to-err "$(cat "$WORK/err")"
  sc exec "$pod" -- sh -c 'echo from-app > /scratch/app'
  # Streaming Exec (WebSocket to containerd's streaming server): a tty, and stdin.
  # (-t alone: containerd 1.6 sends no output for a tty exec without stdin; -it is the use.)
  rc=0; out=$(printf 'tty\nexit 5\n' | sc exec -i -t "$pod" -- sh 2>&1) || rc=$?
  see_expect_eq "$handler: exec -it exit code" 5 "$rc"
  see_expect_match "$handler: exec -it has a tty" "/dev/pts/[0-9]+" "$out"
  rc=0; out=$(printf 'echo from-stdin\nexit 4\n' | sc exec -i "$pod" -- sh 2>&1) || rc=$?
  see_expect_eq "$handler: exec -i" "4 from-stdin" "$rc $out"

  local uid cid cg
  uid=$(pod_field "$pod" uid)
  cid=$(ctr_id "$pod" app)
  see_expect_eq "$handler: emptyDir on the host" from-app \
    "$(cat "$PODDIR/$uid/volumes/kubernetes.io~empty-dir/scratch/app" 2>&1)"
  see_expect_eq "$handler: emptyDir Memory is a tmpfs" tmpfs \
    "$(findmnt -n -o FSTYPE "$PODDIR/$uid/volumes/kubernetes.io~empty-dir/mem" 2>&1)"
  see_expect_eq "$handler: hostPath DirectoryOrCreate made" yes "$([[ -d $WORK/host-$handler ]] && echo yes)"
  rc=0; sc exec "$pod" -- touch /host/x 2>/dev/null || rc=$?
  see_expect_eq "$handler: hostPath readOnly" 1 "$rc"
  # Host cgroups as the kubelet computes them (cgroup v1 hierarchy).
  cg=$CGPARENT/burstable/pod$uid/$cid
  if [[ -d /sys/fs/cgroup/memory$cg ]]; then
    see_expect_eq "$handler: memory limit" 67108864 "$(cat /sys/fs/cgroup/memory$cg/memory.limit_in_bytes)"
    see_expect_eq "$handler: cpu quota" 50000 "$(cat /sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us)"
    see_expect_eq "$handler: cpu shares" 256 "$(cat /sys/fs/cgroup/cpu$cg/cpu.shares)"
  else
    see_fail "$handler: no memory cgroup $cg"
  fi

  rc=0; out=$(sc delete pod "$pod" 2>&1) || rc=$?
  see_expect_eq "$handler: delete" "0 pod/$pod deleted" "$rc $out"
  see_expect_eq "$handler: gone from get" "" "$(sc get pods -o json | python3 -c \
    'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["items"]))')"
  see_expect_eq "$handler: pod dir removed" "" "$(ls -d "$PODDIR/$uid" 2>/dev/null || true)"
  see_expect_eq "$handler: tmpfs unmounted" "" "$(see_mounts_under "$PODDIR")"
  see_expect_eq "$handler: log dir removed" "" "$(ls -d "$LOGDIR"/default_"${pod}"_* 2>/dev/null || true)"
  see_expect_eq "$handler: pod cgroup removed" "" \
    "$(ls -d /sys/fs/cgroup/*"$CGPARENT"/burstable/pod"$uid" 2>/dev/null || true)"
  rc=0; out=$(sc delete pod "$pod" 2>&1) || rc=$?
  see_expect_eq "$handler: delete again: not found" 1 "$rc"
}

run_job_checks() {
  local handler=$1
  see_log "--- jobs under handler $handler"
  cat >"$WORK/jobs-$handler.yaml" <<YAML
apiVersion: batch/v1
kind: Job
metadata: {name: ok-$handler}
spec:
  template:
    spec:
      runtimeClassName: $handler
      hostNetwork: true
      restartPolicy: Never
      containers: [{name: c, image: see.local/busybox:latest, command: [sh, -c, "echo done"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: oom-$handler}
spec:
  template:
    spec:
      runtimeClassName: $handler
      hostNetwork: true
      restartPolicy: Never
      containers:
      - name: hog
        image: see.local/busybox:latest
        command: [sh, -c, "tail /dev/zero"]
        resources: {limits: {memory: 16Mi}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: bad-$handler}
spec:
  template:
    spec:
      runtimeClassName: $handler
      hostNetwork: true
      restartPolicy: Never
      containers: [{name: c, image: see.local/busybox:latest, command: [sh, -c, "exit 7"]}]
YAML
  local out rc
  rc=0; out=$(sc_apply -f "$WORK/jobs-$handler.yaml" 2>&1) || rc=$?
  see_expect_eq "$handler: apply jobs" 0 "$rc"
  rc=0; out=$(sc wait "job/ok-$handler" --for=completion --timeout 60 2>&1) || rc=$?
  see_expect_eq "$handler: job ok: wait" "0 c: exited 0 (Completed)" "$rc $out"
  see_expect_eq "$handler: job ok: Completed" Completed "$(pod_field "ok-$handler-0" status)"
  see_expect_eq "$handler: job ok: logs" done "$(sc logs "job/ok-$handler")"
  rc=0; out=$(sc wait "job/bad-$handler" --timeout 60 2>&1) || rc=$?
  see_expect_eq "$handler: job bad: wait fails" 1 "$rc"
  see_expect_match "$handler: job bad: exit code" "c: exited 7" "$out"
  see_expect_eq "$handler: job bad: Error" Error "$(pod_field "bad-$handler-0" status)"
  rc=0; out=$(sc wait "job/oom-$handler" --timeout 60 2>&1) || rc=$?
  see_expect_eq "$handler: job oom: OOMKilled" "1 hog: exited 137 (OOMKilled)" "$rc $out"
  see_expect_eq "$handler: job oom: status" OOMKilled "$(pod_field "oom-$handler-0" status)"
  rc=0; out=$(sc delete -f "$WORK/jobs-$handler.yaml" 2>&1) || rc=$?
  see_expect_eq "$handler: delete -f" "0 pod/ok-$handler-0 deleted
pod/oom-$handler-0 deleted
pod/bad-$handler-0 deleted" "$rc $out"
}

for h in $HANDLERS; do
  run_pod_checks "$h"
  run_job_checks "$h"
done

see_log "--- nothing left"
see_expect_eq "no sandboxes" "" "$(sc get pods -A -o json | python3 -c \
  'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["items"]))')"
see_expect_eq "no pod dirs" "" "$(ls -A "$PODDIR")"
see_expect_eq "no pod log dirs" "" "$(ls -A "$LOGDIR")"
see_expect_eq "no shims left" "" "$(see_pids_matching "-address $SEE_CTRD_ADDR" | tr '\n' ' ')"
see_expect_eq "no pod cgroups" "" "$(find /sys/fs/cgroup/*"$CGPARENT" -name 'pod*' -type d 2>/dev/null || true)"
see_finish seectl
