#!/usr/bin/env bash
# CRI phase of the comparison (run by bench/run.sh): pods through the CRI plugin of a private node
# stack (e2e/node/node.sh: containerd + CNI bridge + registry + see's pause image), applied with
# seectl as a kubelet would (RunPodSandbox, CreateContainer, StartContainer, until it runs).
#
#   bench/cri.sh OUT BIN_DIR RUNTIMES N_SEQ N_PAR
#     RUNTIMES  comma list of CRI handlers to measure: see, runc, runsc (runsc is added to the
#               node's containerd config here: containerd-shim-runc-v2 + bench/runsc-ptrace.sh,
#               which lets the app container join the pause container's gVisor sandbox; with
#               --network=none the sandbox has its own loopback-only netstack, not the CNI veth)
#     N_SEQ     pods started one after another per runtime (each timed)
#     N_PAR     pods started 10 at a time per runtime (each timed)
#
# Samples (OUT/raw/samples.tsv): cri pod_start_seq / pod_start_par10 (ms per pod), memory
# pss_cri_pod_idle (KiB: shim + sentry + pause + the container's sleep, one idle pod).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$1 BIN_DIR=$2 RUNTIMES=$3 N_SEQ=$4 N_PAR=$5
SAMPLES=$OUT/raw/samples.tsv
source "$HERE/../e2e/lib/common.sh"
source "$HERE/../e2e/lib/containerd.sh"
source "$HERE/../e2e/node/node.sh"

sample() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# The node's containerd config plus a `runsc` handler (node.sh registers see and runc).
eval "_bench_node_configure_orig() $(declare -f _see_node_configure | tail -n +2)"
_see_node_configure() {
  _bench_node_configure_orig "$@"
  cat >>"$1" <<EOF

# --- bench/cri.sh: gVisor for the comparison ---
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
  runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]
    BinaryName = "$HERE/runsc-ptrace.sh"
    Root = "$SEE_CTRD_DIR/runtime-root/runsc"
EOF
}

SEE_NODE_BIN_DIR=$BIN_DIR
SEE_NODE_IMAGES="pause busybox"
see_node_start
WORK=$SEE_NODE_DIR/bench
mkdir -p "$WORK"
BB=$(see_node_image busybox)

pod_yaml() {  # NAME RUNTIME
  cat >"$WORK/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  runtimeClassName: $2
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $BB
      command: ["sleep", "100000"]
EOF
}

apply_timed() {  # NAME RUNTIME METRIC
  local t0 t1
  pod_yaml "$1" "$2"
  t0=$(now_us)
  if see_seectl_apply -f "$WORK/$1.yaml" --wait --wait-timeout 120 >"$WORK/$1.apply" 2>&1; then
    t1=$(now_us)
    sample cri "$3" "$2" "$(((t1 - t0) / 1000))" ms
  else
    echo "cri: $1 ($2): $(tail -2 "$WORK/$1.apply")" >>"$OUT/raw/errors.txt"
    return 1
  fi
}

# delete_pods NAME...: ten at a time (a gVisor pod takes seconds to stop: one after another, 20
# of them took minutes).
delete_pods() {
  local n pids=()
  for n in "$@"; do
    see_seectl delete --now --ignore-not-found pod "$n" >/dev/null 2>&1 &
    pids+=($!)
    if ((${#pids[@]} >= 10)); then
      wait "${pids[@]}" || true
      pids=()
    fi
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}" || true
}

shim_of_pod() {  # NAME: the shim whose process tree holds the pod's sandbox (pause)
  local sid p
  sid=$(see_seectl get pods "$1" -o json 2>/dev/null | python3 -c 'import json, sys
items = json.load(sys.stdin)["items"]
print(items[0].get("sandboxId", "") if items else "")' 2>/dev/null || true)
  [[ -n $sid ]] || return 1
  for p in $(see_pids_matching "-address $SEE_CTRD_ADDR"); do
    [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == *"-id $sid"* ]] && { echo "$p"; return 0; }
  done
  return 1
}

IFS=, read -r -a rts <<<"$RUNTIMES"
for rt in "${rts[@]}"; do
  # The first pod pulls the image and is not counted.
  if ! apply_timed "warm-$rt" "$rt" pod_start_warmup; then
    echo "cri: $rt: no pod starts; skipped" >>"$OUT/raw/errors.txt"
    delete_pods "warm-$rt"
    continue
  fi
  sleep 2
  if shim=$(shim_of_pod "warm-$rt"); then
    sample memory pss_cri_pod_idle "$rt" "$(python3 "$HERE/lib/pss.py" "$shim" | awk '$1 == "total" { print $2 }')" KiB
    python3 "$HERE/lib/pss.py" "$shim" >"$OUT/raw/pss-cri-$rt.txt"
  fi
  delete_pods "warm-$rt"
  names=()
  for ((i = 0; i < N_SEQ; i++)); do
    apply_timed "seq-$rt-$i" "$rt" pod_start_seq || true
    names+=("seq-$rt-$i")
  done
  delete_pods "${names[@]}"
  names=()
  for ((b = 0; b < N_PAR; b += 10)); do
    pids=()
    for ((i = b; i < b + 10 && i < N_PAR; i++)); do
      apply_timed "par-$rt-$i" "$rt" pod_start_par10 &
      pids+=($!)
      names+=("par-$rt-$i")
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
  done
  delete_pods "${names[@]}"
done
