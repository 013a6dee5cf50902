#!/usr/bin/env bash
# The node installer (manifests/installer/install.sh) on COPIES of containerd configs, under a
# fake host root in a temp dir: install is idempotent (twice = once), uninstall gives back the
# original file byte for byte, containerd itself parses the result and sees the `see` handler with
# its runtime_type, pod_annotations and ConfigPath, and a config it would refuse changes nothing.
#
#   e2e/node/installer_test.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../lib/common.sh"
INSTALL=$(see_repo_root)/manifests/installer/install.sh

WORK=$(mktemp -d "${SEE_TMPDIR:-/var/tmp}/see-installer-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin"
for b in containerd-shim-see-v2 runsee see-sentry; do printf '#!/bin/sh\necho %s\n' "$b" >"$WORK/bin/$b"; done

# run_installer HOST_ROOT ACTION [extra args]
run_installer() {
  local root=$1 action=$2
  shift 2
  "$INSTALL" "$action" --host-root "$root" --bin-src "$WORK/bin" --restart none \
    --validate local "$@" 2>>"$WORK/installer.log"
}

dump_handler() {
  containerd --config "$1" config dump 2>/dev/null |
    awk '/^ *\[/ { on = index($0, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.see]") ||
                       index($0, "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.see.") }
         on'
}

# check_config NAME WRITER: WRITER fills the original config.toml.
check_config() {
  local name=$1 writer=$2 root=$WORK/$1 cfg
  mkdir -p "$root/etc/containerd"
  cfg=$root/etc/containerd/config.toml
  "$writer" "$cfg"
  cp "$cfg" "$WORK/$name.orig"

  see_check "$name: install" run_installer "$root" install
  cp "$cfg" "$WORK/$name.once"
  see_check "$name: install again" run_installer "$root" install
  see_check "$name: twice = once" cmp "$WORK/$name.once" "$cfg"
  see_check "$name: status reports the handler" run_installer "$root" status
  see_check "$name: binaries installed" test -x "$root/usr/local/bin/containerd-shim-see-v2"
  see_check "$name: shim config written" test -f "$root/etc/see/shim.yaml"

  local dump
  dump=$(dump_handler "$cfg")
  see_expect_match "$name: containerd sees runtime_type" 'runtime_type = "io.containerd.see.v2"' "$dump"
  see_expect_match "$name: containerd sees pod_annotations" 'pod_annotations = \["see\.dev/\*"\]' "$dump"
  see_expect_match "$name: containerd sees ConfigPath" 'ConfigPath = "/etc/see/shim\.yaml"' "$dump"
  see_expect_match "$name: containerd sees runtime_path" 'runtime_path = "/usr/local/bin/containerd-shim-see-v2"' "$dump"

  see_check "$name: uninstall" run_installer "$root" uninstall
  see_check "$name: original restored byte for byte" cmp "$WORK/$name.orig" "$cfg"
  see_check "$name: uninstall again is a no-op" run_installer "$root" uninstall
  see_check "$name: still the original" cmp "$WORK/$name.orig" "$cfg"
  see_expect_eq "$name: binaries removed" "" "$(ls "$root/usr/local/bin")"
  see_expect_eq "$name: /etc/see removed" "" "$(ls -d "$root/etc/see" 2>/dev/null || true)"
  if run_installer "$root" status >/dev/null; then see_fail "$name: status after uninstall"; fi
}

write_default() { containerd config default >"$1"; }
write_no_trailing_newline() { containerd config default | head -c -1 >"$1"; }
write_minimal_v2() { printf 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n' >"$1"; }
write_imports() {
  printf 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n' >"$1"
}

check_config default write_default
check_config no-trailing-newline write_no_trailing_newline
check_config minimal-v2 write_minimal_v2
check_config with-imports write_imports

# A node without config.toml: install creates one; uninstall removes it again.
root=$WORK/missing
see_check "missing: install creates the config" run_installer "$root" install
see_expect_match "missing: containerd sees the handler" 'io\.containerd\.see\.v2' "$(dump_handler "$root/etc/containerd/config.toml")"
see_check "missing: uninstall" run_installer "$root" uninstall
see_expect_eq "missing: config removed again" "" "$(ls -A "$root/etc/containerd")"

# A v1 config (plugin "cri"): the block uses that schema.
root=$WORK/v1
mkdir -p "$root/etc/containerd"
printf '[plugins.cri]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n' >"$root/etc/containerd/config.toml"
cp "$root/etc/containerd/config.toml" "$WORK/v1.orig"
see_check "v1: install" run_installer "$root" install
see_expect_match "v1: block uses [plugins.cri...]" '\[plugins\.cri\.containerd\.runtimes\.see\]' "$(cat "$root/etc/containerd/config.toml")"
see_check "v1: uninstall" run_installer "$root" uninstall
see_check "v1: original restored" cmp "$WORK/v1.orig" "$root/etc/containerd/config.toml"

# A config that already defines a `see` runtime of its own: containerd would refuse the duplicate
# table, so install must fail and leave the file untouched.
root=$WORK/conflict
mkdir -p "$root/etc/containerd"
{
  containerd config default
  printf '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.see]\n  runtime_type = "io.containerd.runc.v2"\n'
} >"$root/etc/containerd/config.toml"
cp "$root/etc/containerd/config.toml" "$WORK/conflict.orig"
if run_installer "$root" install; then
  see_fail "conflict: install accepted a config containerd refuses"
else
  see_pass "conflict: install refused"
fi
see_check "conflict: config untouched" cmp "$WORK/conflict.orig" "$root/etc/containerd/config.toml"
see_expect_eq "conflict: no temp file left" "" "$(ls "$root/etc/containerd" | grep -v '^config.toml$' || true)"

# Another handler name registers under that name.
root=$WORK/handler
mkdir -p "$root/etc/containerd"
containerd config default >"$root/etc/containerd/config.toml"
see_check "handler: install --handler see-debug" run_installer "$root" install --handler see-debug
see_check "handler: containerd sees runtimes.see-debug" \
  bash -c "containerd --config '$root/etc/containerd/config.toml' config dump | grep -q 'runtimes.see-debug\]'"
if run_installer "$root" install --handler 'bad name'; then see_fail "handler: bad name accepted"; else see_pass "handler: bad name refused"; fi

see_finish installer_test
