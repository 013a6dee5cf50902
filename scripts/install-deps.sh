#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of see from Debian 12 packages.
# Idempotent: packages already present are skipped; safe to run on every build.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root (apt-get install)" >&2
  exit 1
fi

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  # libraries
  libseccomp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libyaml-cpp-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # containerd's protocol definitions (reference and .proto sources)
  golang-github-containerd-containerd-dev golang-github-containerd-ttrpc-dev
  golang-github-containerd-cgroups-dev golang-github-gogo-protobuf-dev
  golang-github-gogo-googleapis-dev  # google/rpc/status.proto for ttrpc's Response
  # container stack used by tests and benchmarks
  containerd runc crun runsc containernetworking-plugins iproute2 iptables
  busybox-static mmdebstrap skopeo umoci docker-registry uidmap
  # measurement
  hyperfine procps psmisc util-linux python3
  # node stack, manifests check, demo (e2e/node, e2e/cri, scripts/demo.sh)
  python3-yaml gettext-base curl
  gnuplot-nox  # e2e/soak resource curves, bench plots
  fio linux-perf  # bench: I/O workload, profiles (scripts/bench.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Debian enables and starts the system containerd on install. see's tests never use it (they run
# their own instance), but leave the system's choice alone rather than stopping it.
echo "install-deps: done"
