# pause: see's own pod sandbox image, a static C program (e2e/node/pause/pause.c) that sleeps,
# reaps re-parented children and exits on SIGTERM/SIGINT. The CRI plugin's sandbox_image of the
# node stack (scripts/node-stack.sh). Sourced by images.sh.

_pause_source() { echo "$(dirname "$SELF")/../e2e/node/pause/pause.c"; }

image_inputs_pause() { sha256sum "$(_pause_source)"; gcc --version | head -1; dpkg-query -W libc6-dev; }

build_pause() {
  local root=$1/rootfs
  mkdir -p "$root"/{dev,proc,sys,etc}
  gcc -static -s -O2 -Wall -Wextra -Werror -o "$root/pause" "$(_pause_source)"
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hosts"
  echo '{"Cmd": ["/pause"], "Env": [], "User": "65535:65535"}' >"$1/image-config.json"
}
