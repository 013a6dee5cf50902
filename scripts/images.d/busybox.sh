# busybox: the host's static busybox with a passwd/group for uid 1000. Sourced by images.sh.

image_inputs_busybox() { sha256sum /bin/busybox; }

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
