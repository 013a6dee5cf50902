# debug-tools: Debian bookworm with python3, strace, gdb and OpenSSH (mmdebstrap): the tracers and
# the chrooting server the sandbox suite runs inside a container (e2e/sandbox/sandbox_suite.py,
# workloads "strace", "gdb" and "sshd").
# Sourced by images.sh.

image_inputs_debug-tools() { debian_mirror; dpkg-query -W mmdebstrap; }

build_debug-tools() {
  local root=$1/rootfs mirror
  mirror=$(debian_mirror)
  log "mmdebstrap debug-tools from $mirror"
  mmdebstrap --quiet --variant=apt --include=python3,strace,gdb,openssh-server,openssh-client \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$root" "$mirror" >&2
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log
  grep -q '^user:' "$root/etc/passwd" || chroot "$root" useradd -u 1000 -m user
}
