# python3-pandas: Debian bookworm with python3 and pandas (mmdebstrap), the image of the
# Snowpark-like UDF job (manifests/examples/udf-job.yaml, scripts/demo.sh). Built when named
# (`scripts/images.sh python3-pandas`), not by `all`. Sourced by images.sh.

image_inputs_python3-pandas() { debian_mirror; dpkg-query -W mmdebstrap; }

build_python3-pandas() {
  local root=$1/rootfs mirror
  mirror=$(debian_mirror)
  log "mmdebstrap python3 + pandas from $mirror"
  mmdebstrap --quiet --variant=apt --include=python3,python3-pandas \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$root" "$mirror" >&2
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log
  grep -q '^user:' "$root/etc/passwd" || chroot "$root" useradd -u 1000 -m user
  echo '{"Cmd": ["/usr/bin/python3"]}' >"$1/image-config.json"
}
