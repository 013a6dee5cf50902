#!/usr/bin/env bash
# The attack battery (issue 7): e2e/security/attacks.c run as the process of a container from a
# private containerd, once under see (ctr --runtime io.containerd.see.v2: shim, runtime, sentry)
# and once under runc (io.containerd.runc.v2), with the default ctr spec (root in the container,
# default capabilities, not privileged). Writes the table (attempt, expected, see, runc) and
# fails when see lets an attempt through that must be blocked. runc's column is informative.
#
#   e2e/security/battery.sh [--bin DIR] [--runtimes "see runc"] [--update-doc] [--out FILE]
#     --bin DIR       where containerd-shim-see-v2 (and the runtime it runs) live (default build/bin)
#     --update-doc    rewrites docs/security-model.md between <!-- battery:begin/end --> markers
#     --out FILE      also writes the markdown table there
#     --cases "..."   a subset of: main exe_race volume_race masked_devnull fork_bomb (then attempts
#                     of the other cases are not required in the verdict)
#
# Attempts that need the host's help (besides the in-container table of attacks.c):
#   exe_overwrite_exec_race  the container watches /proc while the driver runs `ctr tasks exec`
#   volume_symlink_race      one container swaps a volume path between a directory and a symlink
#                            to a host directory while others get a tmpfs mounted on that path;
#                            the host must never gain a mount there
#   masked_paths_devnull     a volume at /dev whose "null" is a symlink to core_pattern
#                            (CVE-2025-31133 class): masked paths must stay empty and unwritable
#   fork_bomb                pids.max set to 64 on the container's cgroup, then a fork bomb
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
source "$HERE/../lib/containerd.sh"
REPO=$(cd "$HERE/../.." && pwd)

BIN=$REPO/build/bin
RUNTIMES="see runc"
UPDATE_DOC=
OUT=
ALL_CASES="main exe_race volume_race masked_devnull fork_bomb"
CASES=$ALL_CASES
while (($#)); do
  case $1 in
    --bin) BIN=$(readlink -f "$2"); shift 2 ;;
    --runtimes) RUNTIMES=$2; shift 2 ;;
    --update-doc) UPDATE_DOC=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    *) echo "usage: battery.sh [--bin DIR] [--runtimes 'see runc'] [--update-doc] [--out FILE]" >&2; exit 2 ;;
  esac
done
[[ -x $BIN/containerd-shim-see-v2 ]] || { echo "no containerd-shim-see-v2 in $BIN" >&2; exit 1; }
export PATH=$BIN:$PATH

"$REPO/scripts/images.sh" attacks >/dev/null
see_containerd_start "$BIN/runsee"
see_ctr_import attacks
IMG=see.local/attacks:latest

# Host-side fixtures: a marker file no container may read, an escape target directory on which
# no mount may ever appear, volumes for the races. All under one temp dir removed on exit.
WORK=$(mktemp -d /tmp/see-battery.XXXXXX)
cleanup_work() {
  see_unmount_under "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
SEE_CLEANUP_HOOKS+=(cleanup_work)
echo see-battery-host-marker >"$WORK/marker"
mkdir -p "$WORK/escape"
HOST_PATHS="$SEE_CTRD_DIR:$WORK:/var/tmp/see-ctrd"
RESULTS=$WORK/results
mkdir -p "$RESULTS"

# run_in RT [ctr run flags...] ID CMD...: ctr run of the attacks image under runtime RT.
run_in() {
  local rt=$1
  shift
  local flags=() args=()
  while [[ $1 == --* ]]; do flags+=("$1"); shift; done
  local id=$1
  shift
  local envs=(--env "SEE_BATTERY_MARKER=$WORK/marker" --env "SEE_BATTERY_HOST_PATHS=$HOST_PATHS"
              --env "SEE_BATTERY_HOST_SOCKETS=$SEE_CTRD_ADDR:$SEE_CTRD_ADDR.ttrpc:/run/containerd/containerd.sock")
  case $rt in
    see)
      see_ctr run --snapshotter "$SEE_CTRD_SNAPSHOTTER" --runtime io.containerd.see.v2 \
        --fifo-dir "$SEE_CTRD_DIR/fifo" "${envs[@]}" "${flags[@]}" "$IMG" "$id" "$@" ;;
    runc) see_ctr_run runc "${envs[@]}" "${flags[@]}" "$IMG" "$id" "$@" ;;
    *) echo "unknown runtime $rt" >&2; return 2 ;;
  esac
}

remove_task() {
  see_ctr tasks kill -s SIGKILL "$1" >/dev/null 2>&1 || true
  see_wait_for 20 _see_task_stopped "$1" || true
  see_ctr tasks rm -f "$1" >/dev/null 2>&1 || true
  see_ctr containers rm "$1" >/dev/null 2>&1 || true
}

task_running() { [[ $(see_task_status "$1") == RUNNING ]]; }

# result RT NAME EXPECT OUTCOME DETAIL: one row into $RESULTS/RT.
result() {
  printf 'ATTEMPT\t%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" >>"$RESULTS/$1"
}

# --- the in-container table ---
battery_main() {
  local rt=$1
  see_log "[$rt] attacks.c table"
  run_in "$rt" --rm "bat-$rt" /attacks >"$WORK/main-$rt.out" 2>"$WORK/main-$rt.err" || true
  grep '^ATTEMPT' "$WORK/main-$rt.out" >>"$RESULTS/$rt" || true
  if ! grep -q '^DONE' "$WORK/main-$rt.out"; then
    see_log "[$rt] battery did not finish: $(tail -3 "$WORK/main-$rt.err" "$WORK/main-$rt.out")"
  fi
  remove_task "bat-$rt"
}

# --- CVE-2019-5736 class: /proc/PID/exe of processes appearing during `ctr tasks exec` ---
battery_exe_race() {
  local rt=$1 id=exe-$rt
  see_log "[$rt] exec race on /proc/PID/exe"
  run_in "$rt" --rm "$id" /attacks --watch-exe 12 >"$WORK/exe-$rt.out" 2>&1 &
  local job=$!
  if see_wait_for 30 task_running "$id"; then
    local i
    for i in $(seq 1 12); do
      see_ctr tasks exec --exec-id "e$i" "$id" /bin/true >/dev/null 2>&1 || true
    done
  fi
  wait "$job" || true
  grep '^ATTEMPT' "$WORK/exe-$rt.out" >>"$RESULTS/$rt" ||
    result "$rt" exe_overwrite_exec_race BLOCKED ERROR "watcher gave no result: $(head -c 200 "$WORK/exe-$rt.out")"
  remove_task "$id"
}

# --- volume symlink race (CVE-2021-30465 class) ---
host_mounts_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo; }

battery_volume_race() {
  local rt=$1 vol=$WORK/vol-$rt created=0 refused=0 escaped=""
  see_log "[$rt] volume symlink race"
  mkdir -p "$vol"
  local target
  for target in "../../../../../../../../..$WORK/escape" "$WORK/escape"; do
    local a=swap-$rt
    run_in "$rt" --rm --mount="type=bind,src=$vol,dst=/vol,options=rbind:rw" "$a" \
      /attacks --swap /vol/x "$target" 15 >"$WORK/swap-$rt.out" 2>&1 &
    local job=$!
    see_wait_for 30 task_running "$a" || true
    local i
    for i in 1 2 3 4 5; do
      if run_in "$rt" --rm --mount="type=bind,src=$vol,dst=/vol,options=rbind:rw" \
           --mount="type=tmpfs,src=tmpfs,dst=/vol/x,options=size=1m" "victim-$rt-$i" /bin/true \
           >/dev/null 2>&1; then
        created=$((created + 1))
      else
        refused=$((refused + 1))
      fi
      remove_task "victim-$rt-$i"
      escaped+=$(host_mounts_under "$WORK/escape")
      escaped+=$(host_mounts_under "/vol")
    done
    wait "$job" || true
    remove_task "$a"
  done
  if [[ -n $escaped ]]; then
    result "$rt" volume_symlink_race BLOCKED ALLOWED "host gained mounts: $(echo "$escaped" | sort -u | tr '\n' ' ')"
    # Undo what the attack did to the host.
    local m
    for m in $(echo "$escaped" | sort -ru); do umount -l "$m" 2>/dev/null || true; done
  else
    result "$rt" volume_symlink_race BLOCKED BLOCKED \
      "10 containers mounting a tmpfs on a swapped volume path ($created started, $refused refused); no host mount"
  fi
}

# --- masked paths with /dev/null replaced by a symlink (CVE-2025-31133 class) ---
battery_masked_devnull() {
  local rt=$1 dev=$WORK/dev-$rt id=masked-$rt
  see_log "[$rt] masked paths with a hostile /dev/null"
  mkdir -p "$dev"
  ln -sfn /proc/sys/kernel/core_pattern "$dev/null"
  local out rc=0
  out=$(run_in "$rt" --rm --mount="type=bind,src=$dev,dst=/dev,options=rbind:rw" "$id" \
          /attacks --check-masked 2>&1) || rc=$?
  remove_task "$id"
  if grep -q '^ATTEMPT' <<<"$out"; then
    grep '^ATTEMPT' <<<"$out" | sed 's/\tmasked_paths\t/\tmasked_paths_devnull\t/' >>"$RESULTS/$rt"
  elif ((rc != 0)); then
    result "$rt" masked_paths_devnull BLOCKED BLOCKED "container refused (exit $rc): $(tr '\n\t' '  ' <<<"$out" | head -c 160)"
  else
    result "$rt" masked_paths_devnull BLOCKED ERROR "no result: $(head -c 160 <<<"$out")"
  fi
  # And the plain case: the default masked paths.
  out=$(run_in "$rt" --rm "$id" /attacks --check-masked 2>&1) || true
  remove_task "$id"
  grep '^ATTEMPT' <<<"$out" >>"$RESULTS/$rt" || result "$rt" masked_paths BLOCKED ERROR "no result"
}

# --- fork bomb against pids.max ---
pids_cgroup_of() {
  local pid=$1 path
  path=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
  if [[ -n $path && -d /sys/fs/cgroup/pids$path ]]; then
    echo "/sys/fs/cgroup/pids$path"
  else
    path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
    echo "/sys/fs/cgroup/unified$path"
  fi
}

battery_fork_bomb() {
  local rt=$1 id=bomb-$rt limit=64
  see_log "[$rt] fork bomb against pids.max=$limit"
  run_in "$rt" --rm "$id" /attacks --fork-bomb $limit >"$WORK/bomb-$rt.out" 2>&1 &
  local job=$!
  if see_wait_for 30 grep -q READY "$WORK/bomb-$rt.out"; then
    local pid cg
    pid=$(see_ctr tasks ls | awk -v id="$id" '$1 == id { print $2 }')
    cg=$(pids_cgroup_of "$pid")
    if [[ -w $cg/pids.max ]]; then
      echo $limit >"$cg/pids.max"
      see_ctr tasks kill -s SIGUSR1 "$id" >/dev/null
    else
      see_log "[$rt] no pids cgroup for $pid ($cg)"
      see_ctr tasks kill -s SIGKILL "$id" >/dev/null
    fi
  fi
  wait "$job" || true
  grep '^ATTEMPT' "$WORK/bomb-$rt.out" >>"$RESULTS/$rt" ||
    result "$rt" fork_bomb BLOCKED ERROR "no result: $(head -c 160 "$WORK/bomb-$rt.out")"
  remove_task "$id"
}

for rt in $RUNTIMES; do
  : >"$RESULTS/$rt"
  for c in $CASES; do "battery_$c" "$rt"; done
done

# --- the table ---
TABLE=$WORK/table.md
python3 - "$RESULTS" "$TABLE" $RUNTIMES <<'EOF'
import os, sys, datetime
results, table, runtimes = sys.argv[1], sys.argv[2], sys.argv[3:]
rows, order = {}, []
for rt in runtimes:
    for line in open(os.path.join(results, rt)):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 5: continue
        _, name, expect, outcome, detail = parts[:5]
        if name not in rows:
            rows[name] = {"expect": expect}
            order.append(name)
        rows[name][rt] = (outcome, detail)
def cell(r, rt):
    if rt not in r: return "—"
    o, d = r[rt]
    d = d.replace("|", "/").strip()
    if len(d) > 110: d = d[:107] + "..."
    mark = {"BLOCKED": "blocked", "ALLOWED": "**ALLOWED**", "ERROR": "error"}.get(o, o)
    return f"{mark}: {d}" if d else mark
hdr = "| attempt | expected | " + " | ".join(runtimes) + " |"
out = [hdr, "|" + "---|" * (2 + len(runtimes))]
for n in order:
    r = rows[n]
    out.append(f"| `{n}` | {r['expect'].lower()} | " + " | ".join(cell(r, rt) for rt in runtimes) + " |")
tally = []
for rt in runtimes:
    b = sum(1 for n in order if rows[n].get(rt, ("",))[0] == "BLOCKED")
    tally.append(f"{rt}: {b}/{len(order)} blocked")
out.append("")
out.append(f"Generated {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC by `e2e/security/battery.sh --update-doc`; "
           + ", ".join(tally) + ".")
open(table, "w").write("\n".join(out) + "\n")
EOF
cat "$TABLE"
[[ -n $OUT ]] && cp "$TABLE" "$OUT"

if [[ -n $UPDATE_DOC ]]; then
  DOC=$REPO/docs/security-model.md
  python3 - "$DOC" "$TABLE" <<'EOF'
import sys
doc, table = sys.argv[1], sys.argv[2]
text = open(doc).read()
begin, end = "<!-- battery:begin -->", "<!-- battery:end -->"
if begin not in text or end not in text:
    sys.exit(f"{doc}: markers {begin} / {end} missing")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + open(table).read() + end + tail)
EOF
  see_log "updated $DOC"
fi

# --- verdict: see must block every MUST-block attempt; every attempt must have a see row ---
if [[ " $RUNTIMES " == *" see "* ]]; then
  want=$(
    { docker_list=$("$SEE_IMAGE_CACHE/attacks/rootfs/attacks" --list 2>/dev/null | cut -f1) || true; echo "$docker_list"; }
  )
  for name in $want sandbox_survives exe_overwrite_exec_race volume_symlink_race masked_paths_devnull masked_paths fork_bomb; do
    line=$(awk -F'\t' -v n="$name" '$2 == n' "$RESULTS/see" | head -1)
    if [[ -z $line ]]; then
      [[ $CASES == "$ALL_CASES" ]] || continue
      see_fail "see: $name: no result (battery crashed or the container did not run)"
      continue
    fi
    IFS=$'\t' read -r _ _ expect outcome detail <<<"$line"
    if [[ $expect == BLOCKED && $outcome == ALLOWED ]]; then
      see_fail "see let through $name: $detail"
    elif [[ $outcome == ERROR ]]; then
      see_log "see: $name: attempt error (not counted as a failure): $detail"
      see_pass "$name (error)"
    else
      see_pass "$name: $outcome"
    fi
  done
fi
see_finish battery
