#!/usr/bin/env bash
# Builds the test images of see, cached under $SEE_IMAGE_CACHE (default /var/cache/see/images).
#
#   scripts/images.sh [busybox|python3|all]     (default: all)
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

# write_oci_archive ROOTFS OUT REF: single-layer OCI image archive (oci-layout + index.json).
write_oci_archive() {
  local rootfs=$1 out=$2 ref=$3 work
  work=$(mktemp -d "$CACHE/.oci.XXXXXX")
  tar -C "$rootfs" --numeric-owner --xattrs -cf "$work/layer.tar" .
  python3 - "$work" "$ref" <<'EOF'
import hashlib, json, os, sys, datetime
work, ref = sys.argv[1], sys.argv[2]
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

build_busybox() {
  local root=$1/rootfs
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root,home/user,var,run}
  cp /bin/busybox "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s
  chmod 1777 "$root/tmp"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
user:x:1000:
nogroup:x:65534:
EOF
  chown 1000:1000 "$root/home/user"
  echo "see-busybox" >"$root/etc/hostname"
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hosts"
}

build_python3() {
  local root=$1/rootfs mirror
  mirror=$(debian_mirror)
  log "mmdebstrap python3 from $mirror"
  mmdebstrap --quiet --variant=apt --include=python3 \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$root" "$mirror" >&2
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log
  # mmdebstrap leaves device nodes out in root mode on some hosts; the runtime mounts /dev anyway.
  grep -q '^user:' "$root/etc/passwd" || chroot "$root" useradd -u 1000 -m user
}

input_hash() {
  local name=$1
  {
    sha256sum "$SELF"
    echo "$name"
    case $name in
      busybox) sha256sum /bin/busybox ;;
      python3) debian_mirror; dpkg-query -W mmdebstrap ;;
    esac
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
    write_oci_archive "$tmp/rootfs" "$tmp/oci.tar" "see.local/$name:latest"
    touch "$tmp/.complete"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
    # Drop stale builds of this image.
    for old in "$CACHE/$name"-*; do
      [[ $old == "$dir" || ! -d $old ]] || rm -rf "$old"
    done
  fi
  ln -sfn "$name-$hash" "$CACHE/$name"
  echo "$name $CACHE/$name"
}

targets=("${@:-all}")
[[ ${targets[0]} == all ]] && targets=(busybox python3)
for t in "${targets[@]}"; do
  case $t in
    busybox|python3) build_image "$t" ;;
    *) echo "images: unknown image $t (busybox|python3|all)" >&2; exit 2 ;;
  esac
done
