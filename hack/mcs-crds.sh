#!/usr/bin/env bash
# Fetches the Multi-Cluster Services CRDs (ServiceExport, ServiceImport) of
# sigs.k8s.io/mcs-api from the Go module proxy and caches them by version outside the
# repository (like hack/kube-binaries.sh), so a second run is instant. The e2e tests install
# them into the member clusters (//e2e:mcs_e2e_test); kfed itself never installs them.
#
#   hack/mcs-crds.sh            fetch if missing, print the directory holding the YAML files
#   hack/mcs-crds.sh --print    print the directory without fetching
#
# Environment: MCS_API_VERSION (pinned below), KFED_CACHE (~/.cache/kfed).
set -euo pipefail

MCS_API_VERSION="${MCS_API_VERSION:-v0.5.2}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
DIR="${KFED_CACHE}/mcs-api/${MCS_API_VERSION}/crd"
FILES=(multicluster.x-k8s.io_serviceexports.yaml multicluster.x-k8s.io_serviceimports.yaml)

log() { echo "[mcs-crds] $*" >&2; }
die() { echo "[mcs-crds] ERROR: $*" >&2; exit 1; }

have_all() {
  local f
  for f in "${FILES[@]}"; do [[ -s "${DIR}/${f}" ]] || return 1; done
}

if [[ "${1:-}" == "--print" ]]; then echo "${DIR}"; exit 0; fi
if have_all; then echo "${DIR}"; exit 0; fi

command -v go >/dev/null || die "go is not installed; install Go 1.25 or newer"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
log "downloading sigs.k8s.io/mcs-api@${MCS_API_VERSION} (module proxy)"
(cd "${work}" && go mod init kfed.local/mcscrds >/dev/null 2>&1)
module_dir="$(cd "${work}" && GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json \
  "sigs.k8s.io/mcs-api@${MCS_API_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
[[ -d "${module_dir}/config/crd" ]] || die "could not download sigs.k8s.io/mcs-api@${MCS_API_VERSION}"
mkdir -p "${DIR}.tmp"
for f in "${FILES[@]}"; do
  [[ -s "${module_dir}/config/crd/${f}" ]] || die "${f} is not in sigs.k8s.io/mcs-api@${MCS_API_VERSION}"
  cp "${module_dir}/config/crd/${f}" "${DIR}.tmp/${f}"
done
rm -rf "${DIR}"
mv "${DIR}.tmp" "${DIR}"
echo "${DIR}"
