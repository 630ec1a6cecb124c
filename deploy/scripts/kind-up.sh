#!/usr/bin/env bash
# make kind-up: the whole shop on a local kind cluster, end to end:
#   1. build the six service images and the tools image (deploy/Dockerfile);
#   2. create the kind cluster $KIND_CLUSTER (default eshop) unless it exists;
#   3. kind load the images into it (imagePullPolicy IfNotPresent: the
#      cluster uses them and pulls nothing of eshop-go);
#   4. kubectl apply -k deploy/k8s and wait for every Deployment;
#   5. port-forward the storefront (8080), identity (8085, the issuer the
#      browser signs in at) and payment (8084, where the checkout page sends
#      the card) to localhost, until Ctrl-C.
# Then open http://localhost:8080, or run the demo in the cluster:
#   kubectl apply -k deploy/k8s/demo && kubectl -n eshop logs -f job/demo
# Needs docker, kind and kubectl. `make kind-down` deletes the cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CLUSTER=${KIND_CLUSTER:-eshop}
SERVICES=(identity catalog basket ordering payment webapp)

for tool in docker kind kubectl; do
	command -v "$tool" >/dev/null 2>&1 || { echo "kind-up needs $tool on the PATH" >&2; exit 1; }
done

images=()
for s in "${SERVICES[@]}"; do
	echo "building eshop-go/$s"
	docker build -q -f deploy/Dockerfile --build-arg SERVICE="$s" -t "eshop-go/$s:latest" . >/dev/null
	images+=("eshop-go/$s:latest")
done
echo "building eshop-go/tools"
docker build -q -f deploy/Dockerfile --target tools -t eshop-go/tools:latest . >/dev/null
images+=(eshop-go/tools:latest)

kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER"
kubectl config use-context "kind-$CLUSTER" >/dev/null
kind load docker-image --name "$CLUSTER" "${images[@]}"

kubectl apply -k deploy/k8s
echo "waiting for every Deployment of namespace eshop (first start: a few minutes)"
kubectl -n eshop wait --for=condition=Available deployment --all --timeout=600s

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
for forward in webapp:8080 identity:8085 payment:8084; do
	kubectl -n eshop port-forward "svc/${forward%%:*}" "${forward##*:}:${forward##*:}" >/dev/null &
	pids+=($!)
done
echo "the shop runs on kind-$CLUSTER: open http://localhost:8080 (alice@example.com / Pass@word1);"
echo "the demo: kubectl apply -k deploy/k8s/demo && kubectl -n eshop logs -f job/demo; Ctrl-C ends the port-forwards"
wait
