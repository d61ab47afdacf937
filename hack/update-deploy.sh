#!/usr/bin/env bash
# Regenerates what the Helm chart copies from the repository and the plain manifests made from
# the chart, so that users without Helm install exactly what `helm install` would:
#
#   charts/kfed/crds/*.yaml                      = federated_types/crds/*.yaml (byte for byte)
#   charts/kfed/crds/generated/<type>.yaml       = the CRD of federated_types/crds/generated/<type>.yaml
#   charts/kfed/files/federatedtypeconfigs/<type>.yaml = the FederatedTypeConfig of the same file
#   config/deploy/crds.yaml                      = the CRDs of charts/kfed/crds/, in one file
#   config/deploy/kfed.yaml                      = helm template kfed charts/kfed -n kube-federation-system
#
#   hack/update-deploy.sh            rewrite them all
#   hack/update-deploy.sh --out DIR  write them under DIR instead (hack/chart-check.sh compares)
#
# Run it after changing federated_types/crds/ (hack/update-crds.sh) or charts/kfed/.
# hack/chart-check.sh fails when the committed files differ from what this produces.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
OUT="${REPO}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { echo "[update-deploy] $*" >&2; }

CRDS=federated_types/crds
CHART_OUT="${OUT}/charts/kfed"
mkdir -p "${CHART_OUT}/crds/generated" "${CHART_OUT}/files/federatedtypeconfigs" "${OUT}/config/deploy"

# --- the chart's copies -----------------------------------------------------------------
rm -f "${CHART_OUT}"/crds/*.yaml "${CHART_OUT}"/crds/generated/*.yaml \
  "${CHART_OUT}"/files/federatedtypeconfigs/*.yaml
for f in "${CRDS}"/*.yaml; do
  cp "${f}" "${CHART_OUT}/crds/$(basename "${f}")"
done
# Each generated file holds two documents: the Federated<Kind> CRD, then its
# FederatedTypeConfig. Helm installs crds/ before anything else and never templates it, so
# the CRD goes there; the FederatedTypeConfig needs the release namespace, so a template
# (templates/federatedtypeconfigs.yaml) reads it from files/.
for f in "${CRDS}"/generated/*.yaml; do
  name="$(basename "${f}")"
  n_docs="$(grep -c '^---$' "${f}")"
  [[ "${n_docs}" == 2 ]] || { log "ERROR: ${f}: expected 2 documents (CRD, FederatedTypeConfig), found ${n_docs}"; exit 1; }
  {
    echo "# A copy of the CRD (first document) of"
    echo "# ${f},"
    echo "# made by hack/update-deploy.sh; do not edit."
    awk '/^---$/ {n++} n == 1' "${f}"
  } > "${CHART_OUT}/crds/generated/${name}"
  # One document without a separator: the template reads it with fromYaml.
  {
    echo "# A copy of the FederatedTypeConfig (second document) of"
    echo "# ${f},"
    echo "# made by hack/update-deploy.sh; do not edit. templates/federatedtypeconfigs.yaml puts it"
    echo "# into the release namespace."
    awk '/^---$/ {n++; next} n == 2' "${f}"
  } > "${CHART_OUT}/files/federatedtypeconfigs/${name}"
done

# --- the plain manifests ----------------------------------------------------------------
HELM="$("${REPO}/hack/helm.sh")"
# The rendering uses the chart under OUT (with the copies just made), so that --out shows
# what a fresh run would commit.
if [[ "${OUT}" != "${REPO}" ]]; then
  tar -C "${REPO}/charts/kfed" --exclude=./crds --exclude=./files/federatedtypeconfigs -cf - . \
    | tar -C "${CHART_OUT}" -xf -
fi
header() {
  echo "# $1"
  echo "# Generated from charts/kfed by hack/update-deploy.sh ($2); do not edit."
  echo "# Regenerate with hack/update-deploy.sh; hack/chart-check.sh fails when it is stale."
}
# `helm show crds` concatenates the files without separating them (a file without a leading
# "---" would merge into the previous one's last document), so join them here, in Helm's
# order, as `helm template --include-crds` does.
{
  header "kfed's CRDs, for users without Helm. Apply first: kubectl apply --server-side -f config/deploy/crds.yaml" \
    "the files of charts/kfed/crds/"
  (cd "${CHART_OUT}" && find crds -name '*.yaml' | LC_ALL=C sort) | while read -r f; do
    echo "---"
    echo "# Source: kfed/${f}"
    # The file without a leading separator (one before its first non-comment line).
    awk 'body || !/^---$/ {print} /^[^#]/ {body = 1}' "${CHART_OUT}/${f}"
  done
} > "${OUT}/config/deploy/crds.yaml"
{
  header "kfed in namespace kube-federation-system with the chart's default values, for users without Helm (docs/user-guide.md, \"Install into a cluster\")." \
    "helm template kfed charts/kfed -n kube-federation-system"
  "${HELM}" template kfed "${CHART_OUT}" --namespace kube-federation-system
} > "${OUT}/config/deploy/kfed.yaml"
log "wrote ${CHART_OUT}/crds, ${CHART_OUT}/files/federatedtypeconfigs, ${OUT}/config/deploy/{crds,kfed}.yaml"
