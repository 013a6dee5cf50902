#!/usr/bin/env bash
# see on a kind cluster (needs Docker, kind and kubectl; not runnable on the see dev VM, which has
# no Docker). Builds the installer image and the example images, creates the cluster, installs see
# with the installer DaemonSet, runs the examples, and deletes the cluster on exit unless
# SEE_KIND_KEEP=1.
#
#   e2e/kind/run.sh            (from anywhere; builds with scripts/build.sh release first)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done

CLUSTER=see
cleanup() { [[ -n ${SEE_KIND_KEEP:-} ]] || kind delete cluster --name "$CLUSTER"; }
trap cleanup EXIT

bash scripts/build.sh release
bash scripts/images.sh busybox python3-pandas >/dev/null
docker build -f manifests/installer/Dockerfile -t see.dev/installer:latest .
# The example images: scripts/images.sh's OCI archives, loaded into docker under see.local names.
for img in busybox python3-pandas; do
  skopeo copy "oci-archive:/var/cache/see/images/$img/oci.tar" "docker-daemon:see.local/$img:latest"
done

mkdir -p /tmp/see-kind-stage/input
kind create cluster --config e2e/kind/kind-config.yaml --wait 120s
for img in see.dev/installer:latest see.local/busybox:latest see.local/python3-pandas:latest; do
  kind load docker-image --name "$CLUSTER" "$img"
done

# Install: RuntimeClass + installer DaemonSet restricted to the labelled workers. kind nodes run
# containerd under systemd, so SEE_RESTART=systemd works as on a real node.
kubectl apply -f manifests/runtimeclass.yaml
sed 's|kubernetes.io/os: linux|see.dev/install: "true"|' manifests/installer/daemonset.yaml | kubectl apply -f -
kubectl -n see-system rollout status daemonset/see-installer --timeout=300s
kubectl get nodes -l see.dev/runtime=true

# Examples: the service and the UDF job, images from the kind nodes' store.
for node in $(kind get nodes --name "$CLUSTER"); do
  docker exec "$node" mkdir -p /var/lib/see/stage/input
done
python3 - /tmp/see-kind-stage/input <<'PY'
import csv, os, sys
with open(os.path.join(sys.argv[1], "orders-0.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["order_id", "region", "amount", "quantity"])
    for i in range(1, 101):
        w.writerow([i, ["emea", "apac", "amer"][i % 3], 10.0 + i, 1 + i % 5])
PY
SEE_REGISTRY=see.local STAGE_DIR=/var/lib/see/stage envsubst '${SEE_REGISTRY} ${STAGE_DIR}' \
  <manifests/examples/udf-job.yaml | sed 's|see.local/see/|see.local/|' | kubectl apply -f -
kubectl wait --for=condition=complete job/see-udf-batch --timeout=300s
kubectl logs job/see-udf-batch
SEE_REGISTRY=see.local envsubst '${SEE_REGISTRY}' <manifests/examples/service.yaml |
  sed 's|see.local/see/|see.local/|' | kubectl apply -f -
kubectl rollout status deployment/see-hello --timeout=120s
kubectl get pods -o wide

# Uninstall path.
kubectl delete -f manifests/examples/service.yaml --ignore-not-found
kubectl delete job see-udf-batch --ignore-not-found
kubectl -n see-system delete daemonset see-installer
sed 's|see.dev/runtime: "true"|see.dev/install: "true"|' manifests/installer/uninstall.yaml | kubectl apply -f -
kubectl -n see-system rollout status daemonset/see-uninstaller --timeout=300s
kubectl delete -f manifests/installer/uninstall.yaml
echo "kind: ok"
