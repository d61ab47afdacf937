#!/usr/bin/env bash
# Regenerates the Federated<Kind> CRDs and FederatedTypeConfigs of the ten default types
# (federated_types/crds/generated/) with kfed-crdgen, from the kube-apiserver OpenAPI v3
# documents saved in federated_types/crds/testdata/openapi/.
#
#   hack/update-crds.sh           regenerate from the saved documents
#   hack/update-crds.sh --fetch   first save fresh documents from a running kube-apiserver:
#                                 the host of hack/local-clusters.sh, or KUBECONFIG/KUBE_CONTEXT
#
# //federated_types/crds:generated_crds_test fails when generated/ is not what this produces.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
CRDS=federated_types/crds
FETCH=0
case "${1:-}" in
  --fetch) FETCH=1 ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

bazel build //federated_types/crds:kfed-crdgen >&2
CRDGEN="$(bazel info bazel-bin 2>/dev/null)/federated_types/crds/kfed-crdgen"

if (( FETCH )); then
  KUBE_BIN="${KFED_KUBE_BIN:-$(hack/kube-binaries.sh --print)}"
  KUBECONFIG_PATH="${KUBECONFIG:-$(hack/local-clusters.sh kubeconfig)}"
  CONTEXT="${KUBE_CONTEXT:-host}"
  kubectl=("${KUBE_BIN}/kubectl" --kubeconfig "${KUBECONFIG_PATH}" --context "${CONTEXT}")
  echo "[update-crds] saving OpenAPI v3 documents of $("${kubectl[@]}" version -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | tail -1)" >&2
  mkdir -p "${CRDS}/testdata/openapi"
  while read -r path file; do
    "${kubectl[@]}" get --raw "/openapi/v3/${path}" > "${CRDS}/testdata/openapi/${file}.tmp"
    mv "${CRDS}/testdata/openapi/${file}.tmp" "${CRDS}/testdata/openapi/${file}"
    echo "[update-crds] saved ${CRDS}/testdata/openapi/${file}" >&2
  done < <("${CRDGEN}" --list-openapi-paths)
fi

mkdir -p "${CRDS}/generated"
rm -f "${CRDS}"/generated/*.yaml
"${CRDGEN}" --default-types --openapi-dir "${CRDS}/testdata/openapi" --out-dir "${CRDS}/generated"
