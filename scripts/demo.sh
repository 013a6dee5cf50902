#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and runs the main job.
# Today the main job runs the busybox and python3 images with `runsee run` (see's OCI runtime) and
# prints what the containers see; it grows into the pod path (shim + sentry) as that lands.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/install-deps.sh
bash scripts/build.sh release
bash scripts/images.sh all >/dev/null
CACHE=${SEE_IMAGE_CACHE:-/var/cache/see/images}
RUNSEE=$ROOT/build/bin/runsee

work=$(mktemp -d /tmp/see-demo.XXXXXX)
state=$work/state
cleanup() {
  for id in see-demo-busybox see-demo-python; do
    "$RUNSEE" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# make_bundle NAME ROOTFS ARGS...: a bundle whose config is `runsee spec` with our args, a
# read-only root (the cached image is shared) and a 256 MiB memory limit.
make_bundle() {
  local name=$1 rootfs=$2; shift 2
  local b=$work/$name
  mkdir -p "$b"
  (cd "$b" && "$RUNSEE" spec)
  python3 - "$b/config.json" "$rootfs" "$@" <<'PY'
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = args
c["hostname"] = "see-demo"
c["linux"].setdefault("resources", {})["memory"] = {"limit": 256 << 20}
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                    "options": ["nosuid", "nodev", "mode=1777"]})
json.dump(c, open(path, "w"), indent=2)
PY
  echo "$b"
}

echo "== busybox under runsee =="
b=$(make_bundle busybox "$CACHE/busybox/rootfs" /bin/sh -c '
  echo "hostname:      $(hostname)"
  echo "id:            $(id)"
  echo "pid 1:         $(cat /proc/1/comm)"
  grep -E "^(CapEff|NoNewPrivs)" /proc/self/status | sed "s/^/status:        /"
  echo "root mount:    $(awk "\$5 == \"/\" { print \$6 }" /proc/self/mountinfo)"
  echo "memory limit:  $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
  touch /etc/x 2>/dev/null && echo "rootfs:        writable" || echo "rootfs:        read-only"')
"$RUNSEE" --root "$state" run --bundle "$b" see-demo-busybox

echo
echo "== python3 under runsee =="
b=$(make_bundle python "$CACHE/python3/rootfs" /usr/bin/python3 -c '
import json, os, platform, sqlite3, tempfile
db = sqlite3.connect(":memory:")
db.execute("create table t(k, v)")
db.executemany("insert into t values (?, ?)", [(i % 7, i) for i in range(10000)])
rows = db.execute("select k, sum(v) from t group by k order by k").fetchall()
with tempfile.NamedTemporaryFile("w", dir="/tmp", delete=False) as f:
    json.dump(rows, f)
print("python", platform.python_version(), "pid", os.getpid(), "uid", os.getuid())
print("group-by result:", rows[:3], "... written to", f.name)')
"$RUNSEE" --root "$state" run --bundle "$b" see-demo-python
echo
echo "demo: ok"
