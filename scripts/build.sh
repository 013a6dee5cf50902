#!/usr/bin/env bash
# Configures and builds see. Usage: scripts/build.sh [release|asan|fuzz]...  (default: release)
#   release -> build/        every binary in build/bin/, all tests
#   asan    -> build-asan/   ASan+UBSan build of the unit tests
#   fuzz    -> build-fuzz/   clang + libFuzzer targets
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
# ccache hits across checkouts (CI builds a fresh clone): paths relative to the checkout, and the
# build directory left out of the hash.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true

configure_and_build() {
  local dir=$1; shift
  if [[ ! -f $dir/build.ninja ]]; then
    cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  fi
  ninja -C "$dir" -j "$JOBS"
}

kinds=("$@")
((${#kinds[@]})) || kinds=(release)
for kind in "${kinds[@]}"; do
  case $kind in
    release) configure_and_build build ;;
    asan) configure_and_build build-asan -DSEE_SANITIZE=ON ;;
    fuzz) CC=clang CXX=clang++ configure_and_build build-fuzz -DSEE_FUZZ=ON ;;
    *) echo "build.sh: unknown build kind '$kind' (release, asan, fuzz)" >&2; exit 2 ;;
  esac
done
