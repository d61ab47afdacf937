#!/usr/bin/env bash
# Builds helm v3 from the official Go module (helm.sh/helm/v3, through the Go module proxy)
# and caches it by version outside the repository, like hack/kube-binaries.sh does for the
# Kubernetes binaries: a second run only prints the path.
#
#   hack/helm.sh            build if missing, print the helm binary's path
#   hack/helm.sh --print    print the path without building
#
# Environment: HELM_VERSION (pinned below), KFED_CACHE (~/.cache/kfed), KFED_GO_PARALLEL (2).
set -euo pipefail

# v3.20.2 asks for Go 1.25 (kfed's minimum, hack/install-deps.sh); v3.21.1 and later ask for 1.26.
HELM_VERSION="${HELM_VERSION:-v3.20.2}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
PARALLEL="${KFED_GO_PARALLEL:-2}"

BIN_DIR="${KFED_CACHE}/helm/${HELM_VERSION}/bin"
HELM="${BIN_DIR}/helm"

log() { echo "[helm] $*" >&2; }
die() { echo "[helm] ERROR: $*" >&2; exit 1; }

if [[ "${1:-}" == "--print" ]]; then echo "${HELM}"; exit 0; fi
if [[ -x "${HELM}" ]]; then echo "${HELM}"; exit 0; fi

command -v go >/dev/null || die "go is not installed; install Go 1.25 or newer"
# One build at a time per cache: a second caller waits, then finds the binary.
mkdir -p "${KFED_CACHE}/helm"
exec 9>"${KFED_CACHE}/helm/.build.lock"
if ! flock -n 9; then
  log "another build of helm is running; waiting for it"
  flock 9
fi
if [[ -x "${HELM}" ]]; then echo "${HELM}"; exit 0; fi

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false" GOTOOLCHAIN=local
mkdir -p "${BIN_DIR}"
start=$(date +%s)
log "building helm ${HELM_VERSION} from helm.sh/helm/v3 (go install -p ${PARALLEL}; a few minutes on 2 cores)"
# helm's go.mod has no replace directives, so `go install module@version` builds exactly the
# release's pinned dependencies. The version is stamped as helm's own Makefile does.
GOBIN="${BIN_DIR}.tmp" go install -p "${PARALLEL}" -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2 \
  || die "building helm ${HELM_VERSION} failed (see the go output above)"
mv "${BIN_DIR}.tmp/helm" "${HELM}"
rmdir "${BIN_DIR}.tmp"
log "helm $("${HELM}" version --short) ready after $(( $(date +%s) - start ))s"
echo "${HELM}"
