#!/usr/bin/env bash
# The main job: on a fresh Debian 12 machine, installs what is missing, builds kfed, starts a
# local host cluster plus member clusters (real kube-apiservers on loopback) and leaves them
# running, with everything kfed has so far installed into them.
#
# Usage: hack/up.sh [--members N]     (stop everything with: hack/local-clusters.sh down)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
export KFED_CACHE
step() { echo; echo "==> [up] $*"; }
trap 'echo "==> [up] FAILED at step: ${CURRENT_STEP:-?}" >&2' ERR

CURRENT_STEP="install dependencies"; step "${CURRENT_STEP}"
hack/install-deps.sh

CURRENT_STEP="build Kubernetes binaries"; step "${CURRENT_STEP} (cached by version; the first build takes ~25 minutes on 2 cores)"
KFED_KUBE_BIN="$(hack/kube-binaries.sh)"
export KFED_KUBE_BIN

CURRENT_STEP="build kfed"; step "${CURRENT_STEP}"
bazel build --disk_cache="${KFED_CACHE}/bazel-disk" //...

CURRENT_STEP="start local clusters"; step "${CURRENT_STEP}"
hack/local-clusters.sh up "$@"
KUBECONFIG_PATH="$(hack/local-clusters.sh kubeconfig)"
KUBECTL=("${KFED_KUBE_BIN}/kubectl" --kubeconfig "${KUBECONFIG_PATH}")

if compgen -G "federated_types/crds/*.yaml" >/dev/null; then
  CURRENT_STEP="install kfed CRDs into the host"; step "${CURRENT_STEP}"
  "${KUBECTL[@]}" --context host apply --server-side -f federated_types/crds/ >/dev/null
  if [[ -d federated_types/crds/generated ]]; then
    "${KUBECTL[@]}" --context host apply --server-side -f federated_types/crds/generated/ >/dev/null
  fi
fi

step "ready"
cat <<EOF
Local clusters are running:
$(hack/local-clusters.sh status)

  export KUBECONFIG=${KUBECONFIG_PATH}
  ${KFED_KUBE_BIN}/kubectl --context member1 get namespaces

Not there yet (see the open issues): the controller manager, kfedctl join, the example
resources and the dashboard. Stop everything with: hack/local-clusters.sh down
EOF
