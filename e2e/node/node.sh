# The embedded node stack: what a Kubernetes node runs under the kubelet, private to one test or
# to scripts/node-stack.sh. Source e2e/lib/common.sh and e2e/lib/containerd.sh first.
#
#   see_node_start           starts it (on failure or at EXIT everything is torn down again)
#   see_node_stop            removes every pod through CRI, stops containerd, the shims and the
#                            registry, deletes the bridge; nothing is left (see below)
#   see_node_env             prints the `export` lines of the variables below
#   see_node_push NAME...    pushes cached images (scripts/images.sh NAME) to the registry
#   see_seectl ARGS...       seectl against this node's CRI endpoint
#   see_seectl_apply ARGS... seectl apply with this node's pod log dir, pod dir and cgroup parent
#   see_node_image NAME      the registry reference of image NAME (127.0.0.1:PORT/see/NAME:latest)
#   see_node_restart_containerd [SIG [FN]]  kills containerd (SIGKILL), runs FN, starts it again
#   see_node_test_server NAME OCTET TEXT     an HTTP server in a netns of its own on the bridge
#
# What runs:
# - containerd 1.6 (e2e/lib/containerd.sh: own root, state, sockets, namespace, on a tmpfs) with
#   the CRI plugin; handlers `see` (runtime_type io.containerd.see.v2: containerd-shim-see-v2,
#   found on containerd's PATH, $SEE_NODE_BIN_DIR first) and `runc`; both pass `see.dev/*` pod
#   annotations into the OCI spec; unprivileged ports bindable in pods; sandbox image = see's own
#   pause image; netns mounts under the instance's state dir (not /var/run/netns).
# - CNI: bridge `seebrN` (10.213.N.0/24, the host side is .1, pods get .10-.250 from host-local
#   whose allocations live in the instance dir; .2-.9 are free for test servers the suites attach
#   to the bridge) and loopback, from /usr/lib/cni; conf dir in the instance dir. No masquerade,
#   no iptables rule, no ip_forward change: pods reach the bridge subnet and the host's .1 only.
# - docker-registry on 127.0.0.1:<free port>, storage in the instance dir, serving the images of
#   scripts/images.sh pushed with skopeo; containerd pulls from it over plain http (hosts.toml).
#
# Variables (see_node_env): SEE_CRI_ENDPOINT (unix://...), SEE_REGISTRY (127.0.0.1:PORT),
# SEE_NODE_DIR (= SEE_CTRD_DIR), SEE_NODE_CGROUP_PARENT, SEE_NODE_POD_LOG_DIR, SEE_NODE_BRIDGE,
# SEE_NODE_SUBNET_PREFIX (10.213.N), SEE_SANDBOX_IMAGE, plus the SEE_CTRD_* of containerd.sh.
#
# Inputs: SEE_NODE_BIN_DIR (containerd-shim-see-v2, seectl; default: the checkout's build/bin),
# SEE_NODE_IMAGES (pushed at start; default "pause busybox"), SEE_SEECTL (seectl binary; default
# $SEE_NODE_BIN_DIR/seectl).
#
# Leak accounting on stop: pods are stopped and removed through CRI (CNI DEL releases the veth and
# the host-local allocation); then containerd.sh kills whatever is left of this instance (shims
# carry its socket address), removes the cgroups under the instance's cgroup parent and unmounts
# the tmpfs (netns mounts, snapshots, registry storage, CNI state); the bridge is deleted and the
# network slot released.

SEE_NODE_SLOTS=/run/see-node/slots
SEE_NODE_REGISTRY_PID=

_see_node_repo() { (cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd); }

# Claims the lowest free network slot N (bridge seebrN, subnet 10.213.N.0/24). A slot is a
# directory holding its owner's pid; one whose owner is gone is taken over.
_see_node_claim_slot() {
  local n owner
  mkdir -p "$SEE_NODE_SLOTS"
  for n in $(seq 1 200); do
    if mkdir "$SEE_NODE_SLOTS/$n" 2>/dev/null; then
      echo "$1" >"$SEE_NODE_SLOTS/$n/owner"
      echo "$n"
      return 0
    fi
    owner=$(cat "$SEE_NODE_SLOTS/$n/owner" 2>/dev/null || echo 0)
    if [[ $owner != 0 ]] && ! kill -0 "$owner" 2>/dev/null; then
      # Left by an owner that died without its cleanup (SIGKILL): the bridge, test-server netns.
      ip link del "seebr$n" 2>/dev/null || true
      local ns
      for ns in $(ip netns list 2>/dev/null | awk -v p="see-$n-" 'index($1, p) == 1 { print $1 }'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null || true
      done
      echo "$1" >"$SEE_NODE_SLOTS/$n/owner"
      echo "$n"
      return 0
    fi
  done
  return 1
}

_see_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Config hook of see_containerd_start: registry, CNI and the CRI section of config.toml.
_see_node_configure() {
  local config=$1 d=$SEE_CTRD_DIR n port
  n=$(_see_node_claim_slot "$$") || { see_log "node: no free network slot"; return 1; }
  SEE_NODE_SLOT=$n
  SEE_NODE_BRIDGE=seebr$n
  SEE_NODE_SUBNET_PREFIX=10.213.$n
  SEE_NODE_DIR=$d
  SEE_NODE_CGROUP_PARENT=/$SEE_CTRD_NS
  SEE_NODE_POD_LOG_DIR=$d/pod-logs
  mkdir -p "$d"/{registry,cni/conf,cni/ipam,certs.d,pod-logs,pods}

  # The bridge with the host's address exists before any pod, so the CNI plugin only attaches
  # veths to it and needs no isGateway (which would switch on the host's ip_forward).
  ip link del "$SEE_NODE_BRIDGE" 2>/dev/null || true
  ip link add "$SEE_NODE_BRIDGE" type bridge || return 1
  ip addr add "$SEE_NODE_SUBNET_PREFIX.1/24" dev "$SEE_NODE_BRIDGE" || return 1
  ip link set "$SEE_NODE_BRIDGE" up || return 1

  # The registry; a port taken between probe and bind is retried.
  local try
  for try in 1 2 3 4 5; do
    port=$(_see_free_port)
    cat >"$d/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    /usr/bin/docker-registry serve "$d/registry.yml" >"$d/registry.log" 2>&1 &
    SEE_NODE_REGISTRY_PID=$!
    SEE_REGISTRY=127.0.0.1:$port
    if see_wait_for 10 curl -fsS "http://$SEE_REGISTRY/v2/"; then break; fi
    kill "$SEE_NODE_REGISTRY_PID" 2>/dev/null || true
    wait "$SEE_NODE_REGISTRY_PID" 2>/dev/null || true
    SEE_NODE_REGISTRY_PID=
  done
  [[ -n $SEE_NODE_REGISTRY_PID ]] || { see_log "node: registry did not start"; cat "$d/registry.log" >&2; return 1; }
  SEE_SANDBOX_IMAGE=$SEE_REGISTRY/see/pause:latest

  mkdir -p "$d/certs.d/$SEE_REGISTRY"
  cat >"$d/certs.d/$SEE_REGISTRY/hosts.toml" <<EOF
server = "http://$SEE_REGISTRY"
[host."http://$SEE_REGISTRY"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
EOF

  cat >"$d/cni/conf/10-see.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "see-$n",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$SEE_NODE_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$d/cni/ipam",
        "ranges": [[{"subnet": "$SEE_NODE_SUBNET_PREFIX.0/24",
                     "rangeStart": "$SEE_NODE_SUBNET_PREFIX.10",
                     "rangeEnd": "$SEE_NODE_SUBNET_PREFIX.250",
                     "gateway": "$SEE_NODE_SUBNET_PREFIX.1"}]],
        "routes": [{"dst": "0.0.0.0/0", "gw": "$SEE_NODE_SUBNET_PREFIX.1"}]
      }
    }
  ]
}
EOF

  # SEE_NODE_SHIM_CONFIG: more lines of the shim's YAML config (e.g. "user_namespace: pod").
  cat >"$d/see-shim.yaml" <<EOF
log_level: info
${SEE_NODE_SHIM_CONFIG:-}
EOF

  cat >>"$config" <<EOF

# --- e2e/node/node.sh: the node stack (CRI plugin as a kubelet's node has it) ---
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SEE_SANDBOX_IMAGE"
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  netns_mounts_under_state_dir = true
  max_container_log_line_size = 16384
  # Only when this host cannot lower oom_score_adj (no CAP_SYS_RESOURCE, e.g. a container):
  # containerd gives sandboxes -998, which the runtimes could not write.
  restrict_oom_score_adj = $(_see_node_can_lower_oom && echo false || echo true)
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.see]
  runtime_type = "io.containerd.see.v2"
  pod_annotations = ["see.dev/*"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.see.options]
    ConfigPath = "$d/see-shim.yaml"
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$d/cni/conf"
  max_conf_num = 1
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$d/certs.d"
EOF
}

_see_node_can_lower_oom() { sh -c 'echo -1 >/proc/self/oom_score_adj' 2>/dev/null; }

see_node_start() {
  SEE_NODE_BIN_DIR=$(readlink -f "${SEE_NODE_BIN_DIR:-$(_see_node_repo)/build/bin}")
  [[ -x $SEE_NODE_BIN_DIR/containerd-shim-see-v2 ]] ||
    { see_log "node: no containerd-shim-see-v2 in $SEE_NODE_BIN_DIR (set SEE_NODE_BIN_DIR)"; return 1; }
  SEE_SEECTL=${SEE_SEECTL:-$SEE_NODE_BIN_DIR/seectl}
  # containerd finds shims on its PATH: ours first.
  export PATH=$SEE_NODE_BIN_DIR:$PATH
  local images=(${SEE_NODE_IMAGES:-pause busybox})
  see_images "${images[@]}"

  SEE_CTRD_ENABLE_CRI=1
  SEE_CTRD_CONFIG_HOOK=_see_node_configure
  SEE_CLEANUP_HOOKS+=(_see_node_cleanup)
  see_containerd_start "${SEE_NODE_RUNSEE:-$SEE_NODE_BIN_DIR/runsee}" || return 1
  SEE_CRI_ENDPOINT=unix://$SEE_CTRD_ADDR
  if ! see_wait_for 30 _see_node_cri_ok; then
    see_log "node: the CRI plugin is not ok"
    see_ctr plugins ls >&2 || true
    return 1
  fi
  see_node_push "${images[@]}" || return 1
  see_log "node: CRI at $SEE_CRI_ENDPOINT, registry $SEE_REGISTRY, bridge $SEE_NODE_BRIDGE ($SEE_NODE_SUBNET_PREFIX.0/24)"
}

_see_node_cri_ok() {
  see_ctr plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }' | grep -qx ok
}

see_node_image() { echo "$SEE_REGISTRY/see/$1:latest"; }

see_node_push() {
  local name
  for name in "$@"; do
    see_images "$name"
    skopeo copy --quiet --insecure-policy --dest-tls-verify=false \
      "oci-archive:$SEE_IMAGE_CACHE/$name/oci.tar" "docker://$(see_node_image "$name")" >&2 ||
      { see_log "node: pushing $name failed"; return 1; }
  done
}

see_seectl() { "$SEE_SEECTL" --endpoint "$SEE_CRI_ENDPOINT" "$@"; }

# see_seectl_apply ARGS...: `seectl apply` with this node's pod log dir, pod dir and cgroup parent
# (all inside the instance, so stop removes them).
see_seectl_apply() {
  see_seectl apply --pod-log-dir "$SEE_NODE_POD_LOG_DIR" --pod-dir "$SEE_NODE_DIR/pods" \
    --cgroup-parent "$SEE_NODE_CGROUP_PARENT" "$@"
}

# Cleanup hook (runs inside see_containerd_stop while containerd is still up).
_see_node_cleanup() {
  [[ -n ${SEE_CTRD_DIR:-} && -d $SEE_CTRD_DIR ]] || return 0
  _see_node_remove_pods
  see_node_test_servers_stop
  if [[ -n ${SEE_NODE_REGISTRY_PID:-} ]]; then
    kill "$SEE_NODE_REGISTRY_PID" 2>/dev/null
    see_wait_for 10 bash -c "! kill -0 $SEE_NODE_REGISTRY_PID"
    kill -9 "$SEE_NODE_REGISTRY_PID" 2>/dev/null
    wait "$SEE_NODE_REGISTRY_PID" 2>/dev/null
  fi
  if [[ -n ${SEE_NODE_BRIDGE:-} ]]; then ip link del "$SEE_NODE_BRIDGE" 2>/dev/null; fi
  if [[ -n ${SEE_NODE_SLOT:-} ]]; then rm -rf "${SEE_NODE_SLOTS:?}/$SEE_NODE_SLOT"; fi
  return 0
}

# Stops and removes every pod the way the kubelet would (StopPodSandbox runs CNI DEL); containers
# CRI does not know any more fall to containerd.sh's task sweep in namespace k8s.io below.
_see_node_remove_pods() {
  [[ -n ${SEE_CTRD_PID:-} ]] && kill -0 "$SEE_CTRD_PID" 2>/dev/null || return 0
  if [[ -x ${SEE_SEECTL:-} ]]; then
    local ns name
    while read -r ns name; do
      # Bounded: a pod the runtime cannot stop falls to the task sweep below.
      [[ -n $name ]] && timeout 30 "$SEE_SEECTL" --endpoint "$SEE_CRI_ENDPOINT" -n "$ns" \
        delete pod "$name" --now >/dev/null 2>&1
    done < <(see_seectl -A get pods -o json 2>/dev/null |
               python3 -c 'import json, sys
for p in json.load(sys.stdin)["items"]: print(p["namespace"], p["name"])' 2>/dev/null)
  fi
  # Bounded too: a hung shim must not hang the stop (containerd.sh SIGKILLs the shims after this).
  local id k8s=(timeout 20 ctr --address "$SEE_CTRD_ADDR" -n k8s.io)
  for id in $("${k8s[@]}" tasks ls -q 2>/dev/null); do
    "${k8s[@]}" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
  done
  for id in $("${k8s[@]}" tasks ls -q 2>/dev/null); do
    see_wait_for 10 bash -c "! ${k8s[*]} tasks ls 2>/dev/null | awk '\$1 == \"$id\" && \$3 != \"STOPPED\"' | grep -q ."
    "${k8s[@]}" tasks rm -f "$id" >/dev/null 2>&1
  done
  for id in $("${k8s[@]}" containers ls -q 2>/dev/null); do
    "${k8s[@]}" containers rm "$id" >/dev/null 2>&1
  done
}

see_node_stop() { see_containerd_stop; }

see_node_env() {
  local v
  for v in SEE_CRI_ENDPOINT SEE_REGISTRY SEE_SANDBOX_IMAGE SEE_NODE_DIR SEE_NODE_BIN_DIR \
           SEE_NODE_CGROUP_PARENT SEE_NODE_POD_LOG_DIR SEE_NODE_BRIDGE SEE_NODE_SUBNET_PREFIX \
           SEE_NODE_SLOT SEE_NODE_REGISTRY_PID SEE_SEECTL SEE_CTRD_DIR SEE_CTRD_ADDR SEE_CTRD_NS \
           SEE_CTRD_PID SEE_CTRD_SNAPSHOTTER; do
    printf 'export %s=%q\n' "$v" "${!v:-}"
  done
}

# see_node_restart_containerd [SIGNAL [FN]]: kills containerd (default SIGKILL: a crash), runs FN
# while it is down, and starts it again on the same config, root and state; pods and their shims
# keep running meanwhile.
see_node_restart_containerd() {
  local sig=${1:-KILL} while_down=${2:-}
  kill "-$sig" "$SEE_CTRD_PID"
  see_wait_for 30 bash -c "! kill -0 $SEE_CTRD_PID" || return 1
  wait "$SEE_CTRD_PID" 2>/dev/null || true
  if [[ -n $while_down ]]; then "$while_down" || return 1; fi
  containerd --config "$SEE_CTRD_DIR/config.toml" >>"$SEE_CTRD_DIR/containerd.log" 2>&1 &
  SEE_CTRD_PID=$!
  see_wait_for 30 _see_node_cri_ok
}

# see_node_test_server NAME OCTET TEXT: an HTTP server (busybox httpd, port 8080) answering TEXT in
# a network namespace see-<slot>-NAME that this function creates and attaches to the stack's
# bridge at $SEE_NODE_SUBNET_PREFIX.OCTET (OCTET 2-9: outside the pods' range). Removed by
# see_node_stop (or see_node_test_servers_stop).
SEE_NODE_TEST_SERVERS=()
see_node_test_server() {
  local name=$1 octet=$2 text=$3 ns=see-$SEE_NODE_SLOT-$1 veth=seets$SEE_NODE_SLOT$2
  ip netns add "$ns" || return 1
  SEE_NODE_TEST_SERVERS+=("$ns")
  ip link add "$veth" type veth peer name eth0 netns "$ns" &&
    ip link set "$veth" master "$SEE_NODE_BRIDGE" up &&
    ip -n "$ns" addr add "$SEE_NODE_SUBNET_PREFIX.$octet/24" dev eth0 &&
    ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up || return 1
  mkdir -p "$SEE_NODE_DIR/www-$name"
  echo "$text" >"$SEE_NODE_DIR/www-$name/index.html"
  ip netns exec "$ns" busybox httpd -p 8080 -h "$SEE_NODE_DIR/www-$name" || return 1
  see_wait_for 10 curl -fsS "http://$SEE_NODE_SUBNET_PREFIX.$octet:8080/"
}

see_node_test_servers_stop() {
  local ns
  for ns in "${SEE_NODE_TEST_SERVERS[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  SEE_NODE_TEST_SERVERS=()
  return 0
}
