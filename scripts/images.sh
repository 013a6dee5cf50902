#!/usr/bin/env bash
# Builds the test images of see, cached under $SEE_IMAGE_CACHE (default /var/cache/see/images).
#
#   scripts/images.sh [NAME...|all]     (default: all; NAME is a file in scripts/images.d/)
#
# For each image NAME it leaves:
#   $SEE_IMAGE_CACHE/NAME/rootfs     a plain rootfs directory (for bundle-based tests)
#   $SEE_IMAGE_CACHE/NAME/oci.tar    an OCI image archive for `ctr images import`,
#                                    annotated org.opencontainers.image.ref.name=see.local/NAME:latest
# NAME is a symlink to NAME-<hash of the inputs>, so a re-run with unchanged inputs is instant
# and a changed input (this script, busybox version, mirror) builds a fresh copy.
# Prints "NAME <dir>" per image on stdout.
set -euo pipefail

CACHE=${SEE_IMAGE_CACHE:-/var/cache/see/images}
SELF=$(readlink -f "${BASH_SOURCE[0]}")
mkdir -p "$CACHE"

log() { echo "images: $*" >&2; }

# The Debian mirror this machine reaches: first deb URI of the apt sources.
debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
          /etc/apt/sources.list.d/*.list 2>/dev/null \
        | grep -E '/debian/?$|/debian ' | grep -v security | head -1 \
        | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*$//')
  echo "${uri:-http://deb.debian.org/debian}"
}

# write_oci_archive ROOTFS OUT REF [CONFIG_JSON]: single-layer OCI image archive (oci-layout +
# index.json). CONFIG_JSON, when it exists, holds image config fields (e.g. {"Cmd": ["/pause"]})
# that replace the defaults below.
write_oci_archive() {
  local rootfs=$1 out=$2 ref=$3 overrides=${4:-} work
  work=$(mktemp -d "$CACHE/.oci.XXXXXX")
  tar -C "$rootfs" --numeric-owner --xattrs -cf "$work/layer.tar" .
  python3 - "$work" "$ref" "$overrides" <<'EOF'
import hashlib, json, os, sys, datetime
work, ref, overrides = sys.argv[1], sys.argv[2], sys.argv[3]
blobs = os.path.join(work, "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
h = hashlib.sha256()
with open(os.path.join(work, "layer.tar"), "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
layer_digest = h.hexdigest()
layer_size = os.path.getsize(os.path.join(work, "layer.tar"))
os.rename(os.path.join(work, "layer.tar"), os.path.join(blobs, layer_digest))
config = {
    "created": "2024-01-01T00:00:00Z",
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
               "Cmd": ["/bin/sh"], "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
    "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "see scripts/images.sh"}],
}
if overrides and os.path.exists(overrides):
    config["config"].update(json.load(open(overrides)))
cdig, csize = put(json.dumps(config, sort_keys=True).encode())
manifest = {
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdig, "size": csize},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": "sha256:" + layer_digest, "size": layer_size}],
}
mdig, msize = put(json.dumps(manifest, sort_keys=True).encode())
index = {"schemaVersion": 2, "manifests": [{
    "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdig, "size": msize,
    "platform": {"architecture": "amd64", "os": "linux"},
    "annotations": {"org.opencontainers.image.ref.name": ref}}]}
with open(os.path.join(work, "index.json"), "w") as f:
    json.dump(index, f)
with open(os.path.join(work, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
EOF
  tar -C "$work" -cf "$out.tmp" oci-layout index.json blobs
  mv "$out.tmp" "$out"
  rm -rf "$work"
}

input_hash() {
  local name=$1
  # File contents only (from stdin: sha256sum FILE would print the checkout's path, and every
  # clone at another path rebuilt every image and dropped the other checkouts' builds).
  {
    sha256sum <"$SELF"
    echo "$name"
    sha256sum <"$IMAGES_D/$name.sh"
    "image_inputs_$name"
  } | sha256sum | cut -c1-16
}

build_image() {
  local name=$1 hash dir tmp
  hash=$(input_hash "$name")
  dir="$CACHE/$name-$hash"
  if [[ ! -f $dir/.complete ]]; then
    log "building $name ($hash)"
    tmp="$CACHE/.build-$name-$hash.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    "build_$name" "$tmp"
    write_oci_archive "$tmp/rootfs" "$tmp/oci.tar" "see.local/$name:latest" "$tmp/image-config.json"
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
    # Drop stale builds of this image: NAME-<16 hex digits> only, not another image whose name
    # starts with NAME- (python3 vs python3-pandas).
    for old in "$CACHE/$name"-*; do
      [[ ${old#"$CACHE/$name"-} =~ ^[0-9a-f]{16}$ ]] || continue
      [[ $old == "$dir" || ! -d $old ]] || rm -rf "$old"
    done
  fi
  ln -sfn "$name-$hash" "$CACHE/$name"
  echo "$name $CACHE/$name"
}

# Every image is one file, scripts/images.d/NAME.sh, defining build_NAME DIR (fills DIR/rootfs,
# and optionally DIR/image-config.json: image config fields such as Cmd) and image_inputs_NAME
# (prints what, besides that file, decides its content).
IMAGES_D=$(dirname "$SELF")/images.d
for f in "$IMAGES_D"/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done
# `all` is the set every test run needs; heavier images are built when named.
DEFAULT_IMAGES=(busybox python3)

targets=("${@:-all}")
[[ ${targets[0]} == all ]] && targets=("${DEFAULT_IMAGES[@]}")
for t in "${targets[@]}"; do
  if [[ ! -f $IMAGES_D/$t.sh ]]; then
    echo "images: unknown image $t (one of: $(cd "$IMAGES_D" && ls | sed 's/\.sh$//' | tr '\n' ' '))" >&2
    exit 2
  fi
  build_image "$t"
done
