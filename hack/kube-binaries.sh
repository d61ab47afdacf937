#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from the official Go
# modules and caches them by version outside the repository, so a second run is instant.
#
#   hack/kube-binaries.sh            build if missing, print the bin directory
#   hack/kube-binaries.sh --print    print the bin directory without building
#
# Environment: KUBE_VERSION, ETCD_VERSION (pinned below), KFED_CACHE (~/.cache/kfed),
# KFED_GO_PARALLEL (2; the machine has 2 cores and the Kubernetes build is heavy).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
PARALLEL="${KFED_GO_PARALLEL:-2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

BIN_DIR="${KFED_CACHE}/kube/${KUBE_VERSION}-etcd-${ETCD_VERSION}/bin"
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

log() { echo "[kube-binaries] $*" >&2; }
die() { echo "[kube-binaries] ERROR: $*" >&2; exit 1; }

have_all() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "${BIN_DIR}/${b}" ]] || return 1; done
}

if [[ "${1:-}" == "--print" ]]; then echo "${BIN_DIR}"; exit 0; fi
if have_all; then echo "${BIN_DIR}"; exit 0; fi

command -v go >/dev/null || die "go is not installed; install Go 1.25 or newer"
# One build at a time per cache: a second caller waits, then finds the binaries.
mkdir -p "${KFED_CACHE}/kube"
exec 9>"${KFED_CACHE}/kube/.build.lock"
if ! flock -n 9; then
  log "another build of the Kubernetes binaries is running; waiting for it"
  flock 9
fi
if have_all; then echo "${BIN_DIR}"; exit 0; fi
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
mkdir -p "${BIN_DIR}"
WORK="${KFED_CACHE}/kube/build-${KUBE_VERSION}"
mkdir -p "${WORK}"
start=$(date +%s)

# --- Kubernetes -----------------------------------------------------------------------
# k8s.io/kubernetes requires its staging modules at v0.0.0 (served nowhere) and replaces
# them with ./staging paths. A wrapper module replaces each with its published version
# v0.<minor>.<patch>, read from the pinned release's own go.mod.
if [[ ! -x "${BIN_DIR}/kube-apiserver" || ! -x "${BIN_DIR}/kube-controller-manager" || ! -x "${BIN_DIR}/kubectl" ]]; then
  log "downloading k8s.io/kubernetes@${KUBE_VERSION} (module proxy)"
  gomod="$(cd "${WORK}" && GOFLAGS= go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  [[ -f "${gomod}" ]] || die "could not download k8s.io/kubernetes@${KUBE_VERSION}"
  staging_version="v0.${KUBE_VERSION#v1.}"
  go_directive="$(sed -n 's/^go \(.*\)$/\1/p' "${gomod}" | head -1)"
  {
    echo "module kfed.local/kubebin"
    echo
    echo "go ${go_directive}"
    echo
    echo "require k8s.io/kubernetes ${KUBE_VERSION}"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9./-]*\) => ./staging/.*$#\t\1 => \1 '"${staging_version}"'#p' "${gomod}"
    echo ")"
  } > "${WORK}/go.mod"
  log "resolving dependencies ($(grep -c '=>' "${WORK}/go.mod") staging modules at ${staging_version})"
  (cd "${WORK}" && go get "k8s.io/kubernetes/cmd/kube-apiserver@${KUBE_VERSION}" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@${KUBE_VERSION}" \
      "k8s.io/kubernetes/cmd/kubectl@${KUBE_VERSION}") >&2 || die "go get of Kubernetes ${KUBE_VERSION} failed"
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
  done
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    [[ -x "${BIN_DIR}/${cmd}" ]] && continue
    log "building ${cmd} ${KUBE_VERSION} (go build -p ${PARALLEL}; first build takes 10-20 minutes on 2 cores)"
    (cd "${WORK}" && go build -p "${PARALLEL}" -tags "selinux,notest,grpcnotrace" \
        -trimpath -ldflags "-s -w ${ldflags}" -o "${BIN_DIR}/${cmd}.tmp" "k8s.io/kubernetes/cmd/${cmd}") >&2 \
      || die "building ${cmd} failed (see the go output above)"
    mv "${BIN_DIR}/${cmd}.tmp" "${BIN_DIR}/${cmd}"
  done
fi

# --- etcd -----------------------------------------------------------------------------
# The etcd binary's own main lives in a module with replace directives, so a tiny wrapper
# (hack/kubebin/etcd) calls etcdmain.Main from go.etcd.io/etcd/server/v3.
if [[ ! -x "${BIN_DIR}/etcd" ]]; then
  ewrk="${KFED_CACHE}/kube/build-etcd-${ETCD_VERSION}"
  mkdir -p "${ewrk}"
  cp "${HERE}/kubebin/etcd/main.go" "${ewrk}/main.go"
  printf 'module kfed.local/etcdbin\n\ngo 1.24\n' > "${ewrk}/go.mod"
  log "building etcd ${ETCD_VERSION}"
  (cd "${ewrk}" && go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" && go mod tidy \
     && go build -p "${PARALLEL}" -trimpath -ldflags "-s -w" -o "${BIN_DIR}/etcd.tmp" .) >&2 \
    || die "building etcd ${ETCD_VERSION} failed"
  mv "${BIN_DIR}/etcd.tmp" "${BIN_DIR}/etcd"
fi

log "binaries ready in ${BIN_DIR} after $(( $(date +%s) - start ))s"
echo "${BIN_DIR}"
