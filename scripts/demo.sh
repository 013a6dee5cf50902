#!/usr/bin/env bash
# The README's main command, see's main job: a Snowpark-like Python UDF batch job on a
# Kubernetes-style node, under see.
#
#  1. installs what is missing (Debian packages), builds see, builds the images
#     (busybox, see's pause, python3 + pandas);
#  2. starts the embedded node stack (e2e/node/node.sh): a private containerd with the CRI plugin
#     and handlers `see` and `runc`, CNI bridge, a local registry the images are pushed to;
#  3. runs manifests/examples/udf-job.yaml's pod under `see` through CRI (seectl, as a kubelet
#     would; the image is pulled from the registry) over a stage directory of CSV files, prints
#     the UDF's result and checks it against the same computation done here;
#  4. runs one probe pod under `runc` and under `see` and shows side by side what each sees: the
#     host uid of the container's root, blocked syscalls, /proc/meminfo, egress;
#  5. stops the stack (also on failure), leaving nothing behind. Exit 0 on success.
#
#   scripts/demo.sh                      everything
#   SEE_DEMO_SKIP_BUILD=1 scripts/demo.sh   use the existing build/bin and images
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ -z ${SEE_DEMO_SKIP_BUILD:-} ]]; then
  bash scripts/install-deps.sh
  bash scripts/build.sh release
fi
bash scripts/images.sh busybox pause python3-pandas >/dev/null

source e2e/lib/common.sh
source e2e/lib/containerd.sh
source e2e/node/node.sh

export SEE_NODE_BIN_DIR=${SEE_NODE_BIN_DIR:-$ROOT/build/bin}
export SEE_NODE_IMAGES="pause busybox python3-pandas"
section() { printf '\n== %s ==\n' "$*"; }

section "node stack"
see_node_start
echo "containerd (CRI) $SEE_CRI_ENDPOINT, handlers see + runc; registry $SEE_REGISTRY; bridge $SEE_NODE_BRIDGE"
WORK=$SEE_NODE_DIR/demo
mkdir -p "$WORK"

# ---- 3. the UDF job ----
section "UDF batch job under see"
STAGE_DIR=$WORK/stage
mkdir -p "$STAGE_DIR/input"
python3 - "$STAGE_DIR/input" <<'PY'
import csv, os, random, sys
rnd = random.Random(42)
regions = ["emea", "apac", "amer"]
oid = 0
for f in range(4):
    with open(os.path.join(sys.argv[1], f"orders-{f}.csv"), "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["order_id", "region", "amount", "quantity"])
        for _ in range(2500):
            oid += 1
            w.writerow([oid, rnd.choice(regions), round(rnd.uniform(1, 500), 2), rnd.randint(1, 9)])
PY
chmod -R a+rX "$STAGE_DIR"
chmod a+rwx "$STAGE_DIR"
export SEE_REGISTRY STAGE_DIR
envsubst '${SEE_REGISTRY} ${STAGE_DIR}' <manifests/examples/udf-job.yaml >"$WORK/udf-job.yaml"
see_seectl_apply -f "$WORK/udf-job.yaml" >"$WORK/udf.apply" 2>&1 || { cat "$WORK/udf.apply"; exit 1; }
if ! see_seectl wait job/see-udf-batch --for completion --timeout 300 >"$WORK/udf.wait" 2>&1; then
  cat "$WORK/udf.wait"
  see_seectl logs job/see-udf-batch -c udf || true
  echo "demo: the UDF job failed" >&2
  exit 1
fi
result=$(see_seectl logs job/see-udf-batch -c udf)
echo "handler:  $(see_seectl get pods see-udf-batch-0 -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["runtimeHandler"])')"
echo "result:   $result"
echo "written:  $(ls "$STAGE_DIR/output")"
# The same computation without pandas, on the host: the job's answer must match.
python3 - "$STAGE_DIR" "$result" <<'PY'
import csv, glob, json, os, sys
stage, result = sys.argv[1], json.loads(sys.argv[2])
disc = {"emea": 0.10, "apac": 0.05}
net, rows = {}, 0
for path in sorted(glob.glob(os.path.join(stage, "input", "*.csv"))):
    for r in csv.DictReader(open(path)):
        rows += 1
        v = round(float(r["amount"]) * int(r["quantity"]) * (1 - disc.get(r["region"], 0.0)), 2)
        net[r["region"]] = net.get(r["region"], 0.0) + v
want = {k: round(v, 2) for k, v in net.items()}
got = result["net_by_region"]
# Per-row rounding may differ by a cent between numpy (x*100, rint) and Python's round().
ok = rows == result["rows"] and set(got) == set(want) and all(abs(got[k] - want[k]) <= 0.01 * rows for k in want)
print("check:    %s (%d rows, %d regions; host: %s)" % (
    "matches the host's computation" if ok else "MISMATCH", rows, len(want), want))
sys.exit(0 if ok else 1)
PY
see_seectl delete job/see-udf-batch --now >/dev/null

# ---- 4. runc vs see ----
section "the same pod under runc and under see"
see_node_test_server demo 2 "egress reached" || { echo "demo: test server did not start" >&2; exit 1; }
TARGET=$SEE_NODE_SUBNET_PREFIX.2:8080
probe_pod() {
  cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: probe-$1
  annotations:
    see.dev/egress: ""
spec:
  runtimeClassName: $1
  terminationGracePeriodSeconds: 1
  containers:
    - name: probe
      image: $(see_node_image busybox)
      command: ["/bin/sh", "-c", "exec sleep 3600"]
      resources:
        limits: {memory: "256Mi", cpu: "1"}
EOF
}
declare -A ROW
probe() {
  local h=$1 pid cid
  probe_pod "$h" >"$WORK/probe-$h.yaml"
  see_seectl_apply -f "$WORK/probe-$h.yaml" --wait >"$WORK/probe-$h.apply" 2>&1 ||
    { cat "$WORK/probe-$h.apply" >&2; return 1; }
  cid=$(see_seectl get pods "probe-$h" -o json | python3 -c 'import json, sys
print(json.load(sys.stdin)["items"][0]["containers"][0]["id"])')
  pid=$(ctr --address "$SEE_CTRD_ADDR" -n k8s.io tasks ls | awk -v id="$cid" '$1 == id { print $2 }')
  x() { see_seectl exec -c probe "probe-$h" -- /bin/sh -c "$1" 2>/dev/null | tr -d '\r' || true; }
  ROW[$h,uid]="$(x 'id -u') / $(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo '?')"
  ROW[$h,unshare]=$(x 'unshare -U true 2>/dev/null && echo allowed || echo blocked')
  ROW[$h,mount]=$(x 'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>/dev/null && echo allowed || echo blocked')
  ROW[$h,meminfo]=$(x "awk '/^MemTotal:/ { print \$2 \" kB\" }' /proc/meminfo")
  ROW[$h,nproc]=$(x 'nproc')
  ROW[$h,egress]=$(x "timeout 5 wget -qO- http://$TARGET/ >/dev/null 2>&1 && echo reachable || echo refused")
  see_seectl delete pod "probe-$h" --now >/dev/null || true
}
probe runc
probe see
fmt='%-40s %-22s %-22s\n'
printf "$fmt" "" "runc" "see"
printf "$fmt" "container root: uid inside / on the host" "${ROW[runc,uid]}" "${ROW[see,uid]}"
printf "$fmt" "unshare(CLONE_NEWUSER)" "${ROW[runc,unshare]}" "${ROW[see,unshare]}"
printf "$fmt" "mount(tmpfs)" "${ROW[runc,mount]}" "${ROW[see,mount]}"
printf "$fmt" "/proc/meminfo MemTotal (limit 256Mi)" "${ROW[runc,meminfo]}" "${ROW[see,meminfo]}"
printf "$fmt" "nproc (limit 1 CPU)" "${ROW[runc,nproc]}" "${ROW[see,nproc]}"
printf "$fmt" "egress to $TARGET (empty policy)" "${ROW[runc,egress]}" "${ROW[see,egress]}"

section "stop"
see_node_stop
trap - EXIT
echo
echo "demo: ok"
