#!/usr/bin/env bash
# see node installer: puts the see binaries on a host, registers the `see` runtime handler in
# containerd's config.toml, restarts containerd, labels the node; `uninstall` undoes all of it.
# Run by the installer DaemonSet (manifests/installer/daemonset.yaml, helm/see) with the host's
# root at /host, or by hand on a node (--host-root /).
#
#   install.sh install   [options]
#   install.sh uninstall [options]
#   install.sh status    [options]     prints what is installed; exit 1 when the handler is missing
#
# Options (environment variable in brackets):
#   --host-root DIR     the host's / as seen by this script [SEE_HOST_ROOT, default /host]
#   --config PATH       containerd config, host path [SEE_CONTAINERD_CONFIG, /etc/containerd/config.toml]
#   --bin-src DIR       where the binaries to install are [SEE_BIN_SRC, /opt/see/bin]
#   --bin-dest DIR      where they go, host path [SEE_BIN_DEST, /usr/local/bin]
#   --handler NAME      the RuntimeClass handler [SEE_HANDLER, see]
#   --shim-config FILE  the shim's YAML config to install as /etc/see/shim.yaml [SEE_SHIM_CONFIG]
#   --restart MODE      systemd | none | 'COMMAND' (run on the host) [SEE_RESTART, systemd]
#   --node NAME         label (install) / unlabel (uninstall) node NAME see.dev/runtime=true
#                       through the API server with the pod's service account [SEE_NODE_NAME]
#   --validate MODE     host (the host's containerd, through nsenter) | local (containerd on this
#                       PATH, on the file as this script sees it) | none [SEE_VALIDATE, host]
#
# How the handler is registered: a marked block appended to config.toml
# ("# BEGIN see runtime handler" .. "# END see runtime handler"). Re-running replaces the block,
# so applying twice equals applying once; uninstall removes exactly the bytes install added, so
# the original file comes back byte for byte (a config that did not exist is removed again).
# Not a drop-in under containerd's `imports`: containerd 1.6 replaces a whole plugin section
# with an imported file's section, so a drop-in defining the CRI runtime would discard the rest
# of the node's CRI configuration.
#
# Safety: the edited config is parsed by the host's containerd (`containerd config dump`) before
# it replaces the old one, and containerd is only restarted when the config changed; running
# containers survive a containerd restart (their shims are separate processes).
set -euo pipefail

HOST_ROOT=${SEE_HOST_ROOT:-/host}
CONFIG=${SEE_CONTAINERD_CONFIG:-/etc/containerd/config.toml}
BIN_SRC=${SEE_BIN_SRC:-/opt/see/bin}
BIN_DEST=${SEE_BIN_DEST:-/usr/local/bin}
HANDLER=${SEE_HANDLER:-see}
SHIM_CONFIG=${SEE_SHIM_CONFIG:-}
RESTART=${SEE_RESTART:-systemd}
NODE=${SEE_NODE_NAME:-}
VALIDATE=${SEE_VALIDATE:-host}
BINARIES=(containerd-shim-see-v2 runsee see-sentry)
BEGIN_MARK="# BEGIN see runtime handler (managed by the see installer; edits here are replaced)"
END_MARK="# END see runtime handler"

log() { echo "see-installer: $*" >&2; }
die() { log "$*"; exit 1; }

parse_args() {
  ACTION=${1:-}
  shift || true
  while (($#)); do
    case $1 in
      --host-root) HOST_ROOT=$2; shift 2 ;;
      --config) CONFIG=$2; shift 2 ;;
      --bin-src) BIN_SRC=$2; shift 2 ;;
      --bin-dest) BIN_DEST=$2; shift 2 ;;
      --handler) HANDLER=$2; shift 2 ;;
      --shim-config) SHIM_CONFIG=$2; shift 2 ;;
      --restart) RESTART=$2; shift 2 ;;
      --node) NODE=$2; shift 2 ;;
      --validate) VALIDATE=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ $HANDLER =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "handler '$HANDLER' is not a DNS label"
  HOST_ROOT=${HOST_ROOT%/}
  STATE_DIR=$HOST_ROOT/etc/see
}

host() { echo "$HOST_ROOT$1"; }

# Runs a command in the host's namespaces when we are in a pod (hostPID), directly otherwise.
on_host() {
  if [[ -z $HOST_ROOT ]]; then
    "$@"
  else
    nsenter --target 1 --mount --uts --ipc --net --pid -- "$@"
  fi
}

# The CRI plugin's name in this config's schema: version 3 (containerd 2.x) split the plugin.
cri_plugin() {
  local version
  version=$(sed -nE 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$1" 2>/dev/null | head -1)
  case ${version:-1} in
    1) echo 'cri' ;;
    2) echo '"io.containerd.grpc.v1.cri"' ;;
    *) echo '"io.containerd.cri.v1.runtime"' ;;
  esac
}

handler_block() {
  local plugin=$1 t
  t="plugins.$plugin.containerd.runtimes.$HANDLER"
  cat <<EOF
$BEGIN_MARK
[$t]
  runtime_type = "io.containerd.see.v2"
  runtime_path = "$BIN_DEST/containerd-shim-see-v2"
  pod_annotations = ["see.dev/*"]
  [$t.options]
    ConfigPath = "/etc/see/shim.yaml"
$END_MARK
EOF
}

# strip_block FILE: prints FILE without the marked block and the newline install put before it.
strip_block() {
  python3 - "$1" "$BEGIN_MARK" "$END_MARK" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
begin = ("\n" + sys.argv[2] + "\n").encode()
end = ("\n" + sys.argv[3] + "\n").encode()
i = data.find(begin)
if i >= 0:
    j = data.find(end, i)
    if j < 0:
        sys.exit("unterminated see block in " + sys.argv[1])
    data = data[:i] + data[j + len(end):]
sys.stdout.buffer.write(data)
PY
}

# validate FILE: containerd parses FILE (`config dump`), or the install stops with nothing changed.
validate() {
  local file=$1
  case $VALIDATE in
    none) return 0 ;;
    local) containerd --config "$file" config dump >/dev/null ;;
    host)
      if ! on_host sh -c 'command -v containerd' >/dev/null 2>&1; then
        log "containerd not found on the host; config not validated"
        return 0
      fi
      on_host containerd --config "${file#"$HOST_ROOT"}" config dump >/dev/null
      ;;
    *) die "unknown --validate mode $VALIDATE" ;;
  esac || { log "containerd refuses the edited config; nothing changed"; return 1; }
}

install_binaries() {
  local b src dest
  mkdir -p "$(host "$BIN_DEST")" "$STATE_DIR"
  for b in "${BINARIES[@]}"; do
    src=$BIN_SRC/$b
    [[ -f $src ]] || { log "no $b in $BIN_SRC; skipped"; continue; }
    dest=$(host "$BIN_DEST/$b")
    # Copy then rename: a shim starting right now sees the old or the new binary, never half.
    cp "$src" "$dest.see-new"
    chmod 0755 "$dest.see-new"
    mv -f "$dest.see-new" "$dest"
  done
  if [[ -n $SHIM_CONFIG ]]; then
    cp "$SHIM_CONFIG" "$STATE_DIR/shim.yaml.see-new"
    mv -f "$STATE_DIR/shim.yaml.see-new" "$STATE_DIR/shim.yaml"
  elif [[ ! -f $STATE_DIR/shim.yaml ]]; then
    printf 'log_level: info\n' >"$STATE_DIR/shim.yaml"
  fi
}

# register_handler: writes the marked block; returns 0 when the file changed, 1 when it did not.
register_handler() {
  local config new plugin
  config=$(host "$CONFIG")
  mkdir -p "$(dirname "$config")" "$STATE_DIR"
  if [[ ! -e $config ]]; then
    # Remember that the file is ours, so that uninstall removes it instead of leaving a stub.
    printf 'version = 2\n' >"$config"
    : >"$STATE_DIR/config-created-by-see"
  fi
  plugin=$(cri_plugin "$config")
  new=$config.see-new
  {
    strip_block "$config"
    printf '\n'
    handler_block "$plugin"
  } >"$new"
  if cmp -s "$new" "$config"; then
    rm -f "$new"
    log "handler '$HANDLER' already registered in $CONFIG"
    return 1
  fi
  validate "$new" || { rm -f "$new"; return 2; }
  chmod --reference="$config" "$new"
  mv -f "$new" "$config"
  log "handler '$HANDLER' registered in $CONFIG"
}

unregister_handler() {
  local config new
  config=$(host "$CONFIG")
  [[ -f $config ]] || return 1
  new=$config.see-new
  strip_block "$config" >"$new"
  if [[ -f $STATE_DIR/config-created-by-see ]]; then
    rm -f "$STATE_DIR/config-created-by-see"
    # The stub install wrote, unless someone added to it since.
    if [[ $(cat "$new") == "version = 2" ]]; then
      rm -f "$config" "$new"
      log "removed $CONFIG (created by the installer)"
      return 0
    fi
  fi
  if cmp -s "$new" "$config"; then
    rm -f "$new"
    return 1
  fi
  chmod --reference="$config" "$new"
  mv -f "$new" "$config"
  log "handler '$HANDLER' removed from $CONFIG"
}

restart_containerd() {
  case $RESTART in
    none) log "containerd not restarted (--restart none)" ;;
    systemd)
      log "restarting containerd"
      on_host systemctl restart containerd
      local i
      for i in $(seq 60); do
        on_host sh -c 'ctr version' >/dev/null 2>&1 && { log "containerd is back"; return 0; }
        sleep 1
      done
      die "containerd did not come back after the restart"
      ;;
    *) log "restarting containerd: $RESTART"; on_host sh -c "$RESTART" ;;
  esac
}

# label_node VALUE|null: sets or removes see.dev/runtime on $NODE through the API server.
label_node() {
  [[ -n $NODE ]] || return 0
  local sa=/var/run/secrets/kubernetes.io/serviceaccount value=$1
  [[ $value == null ]] || value="\"$value\""
  curl -fsS --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" \
    -H 'Content-Type: application/merge-patch+json' -X PATCH \
    -d "{\"metadata\":{\"labels\":{\"see.dev/runtime\":$value}}}" \
    "https://${KUBERNETES_SERVICE_HOST}:${KUBERNETES_SERVICE_PORT}/api/v1/nodes/$NODE" >/dev/null ||
    die "could not label node $NODE"
  log "node $NODE: see.dev/runtime=$1"
}

do_install() {
  install_binaries
  local rc=0
  register_handler || rc=$?
  ((rc == 2)) && exit 1
  ((rc == 0)) && restart_containerd
  label_node true
}

do_uninstall() {
  # Unlabel first: the scheduler stops placing see pods here before the handler goes away.
  label_node null
  local rc=0 b
  unregister_handler || rc=$?
  ((rc == 0)) && restart_containerd
  for b in "${BINARIES[@]}"; do rm -f "$(host "$BIN_DEST/$b")"; done
  rm -f "$STATE_DIR/shim.yaml"
  rmdir "$STATE_DIR" 2>/dev/null || true
  log "uninstalled"
}

do_status() {
  local config b ok=0
  config=$(host "$CONFIG")
  for b in "${BINARIES[@]}"; do
    [[ -x $(host "$BIN_DEST/$b") ]] && echo "binary   $BIN_DEST/$b" || echo "binary   $BIN_DEST/$b missing"
  done
  if [[ -f $config ]] && grep -qxF "$BEGIN_MARK" "$config"; then
    echo "handler  $HANDLER registered in $CONFIG"
  else
    echo "handler  $HANDLER not registered in $CONFIG"
    ok=1
  fi
  return $ok
}

parse_args "$@"
case $ACTION in
  install) do_install ;;
  uninstall) do_uninstall ;;
  status) do_status ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
