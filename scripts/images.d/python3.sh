# python3: Debian bookworm with python3 (mmdebstrap). Sourced by images.sh.

image_inputs_python3() { debian_mirror; dpkg-query -W mmdebstrap; }

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
