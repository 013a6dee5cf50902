# attacks: busybox plus /attacks, the security battery's static attack program
# (e2e/security/attacks.c), built here with gcc -static. Sourced by images.sh.

_attacks_src() { echo "$(dirname "$(dirname "$IMAGES_D")")/e2e/security/attacks.c"; }

image_inputs_attacks() {
  image_inputs_busybox
  sha256sum "$(_attacks_src)"
  gcc --version | head -1
}

build_attacks() {
  build_busybox "$1"
  gcc -static -O1 -Wall -Wno-format-truncation -o "$1/rootfs/attacks" "$(_attacks_src)" -lpthread
  echo '{"Cmd": ["/attacks"]}' >"$1/image-config.json"
}
