# bench: Debian bookworm with python3, pandas and fio (mmdebstrap), the image of scripts/bench.sh's
# Python and I/O workloads. The benchmark programs themselves (bench/workloads/) are bind-mounted
# at run time, so editing them needs no rebuild. Built when named, not by `all`. Sourced by images.sh.

image_inputs_bench() { debian_mirror; dpkg-query -W mmdebstrap; }

build_bench() {
  local root=$1/rootfs mirror
  mirror=$(debian_mirror)
  log "mmdebstrap python3 + pandas + fio from $mirror"
  mmdebstrap --quiet --variant=apt --include=python3,python3-pandas,fio \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$root" "$mirror" >&2
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
         "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/*.log
  mkdir -p "$root/bench"
  echo '{"Cmd": ["/usr/bin/python3"]}' >"$1/image-config.json"
}
