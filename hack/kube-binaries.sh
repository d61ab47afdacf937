#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd and kwok from
# the official Go modules and caches them by version outside the repository, so a second run
# is instant.
#
#   hack/kube-binaries.sh            build if missing, print the bin directory
#   hack/kube-binaries.sh --print    print the bin directory without building
#   hack/kube-binaries.sh --kubelet  also build kubelet (for hack/local-clusters.sh --host-kubelet;
#                                    only that mode needs it, so the default set stays as it was)
#
# Environment: KUBE_VERSION, ETCD_VERSION, KWOK_VERSION (pinned below), KFED_CACHE (~/.cache/kfed),
# KFED_GO_PARALLEL (2; the machine has 2 cores and the Kubernetes build is heavy).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
PARALLEL="${KFED_GO_PARALLEL:-2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The directory names every version and the set's revision (-r2: kube-scheduler and kwok
# added), so a change of either starts a clean directory instead of mixing old binaries in.
BIN_DIR="${KFED_CACHE}/kube/${KUBE_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}-r2/bin"
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
BINARIES=("${KUBE_CMDS[@]}" etcd kwok)
# kubelet goes into the same versioned directory, built only on request: it is the largest
# of the binaries and only the in-cluster e2e (a real host node) runs it.
if [[ "${1:-}" == "--kubelet" ]]; then
  KUBE_CMDS+=(kubelet)
  BINARIES+=(kubelet)
  shift
fi

log() { echo "[kube-binaries] $*" >&2; }
die() { echo "[kube-binaries] ERROR: $*" >&2; exit 1; }

have_all() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x "${BIN_DIR}/${b}" ]] || return 1; done
  [[ -f "${BIN_DIR}/kwok-stages.yaml" ]]
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
missing_kube=0
for cmd in "${KUBE_CMDS[@]}"; do [[ -x "${BIN_DIR}/${cmd}" ]] || missing_kube=1; done
if (( missing_kube )); then
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
  pkgs=()
  for cmd in "${KUBE_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/${cmd}@${KUBE_VERSION}"); done
  (cd "${WORK}" && go get "${pkgs[@]}") >&2 || die "go get of Kubernetes ${KUBE_VERSION} failed"
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=${build_date}"
  done
  for cmd in "${KUBE_CMDS[@]}"; do
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

# --- kwok -----------------------------------------------------------------------------
# sigs.k8s.io/kwok has no replace directives, so a wrapper module requiring it builds its
# cmd/kwok with exactly the dependency versions of kwok's own go.mod.
if [[ ! -x "${BIN_DIR}/kwok" || ! -f "${BIN_DIR}/kwok-stages.yaml" ]]; then
  kwrk="${KFED_CACHE}/kube/build-kwok-${KWOK_VERSION}"
  mkdir -p "${kwrk}"
  printf 'module kfed.local/kwokbin\n\ngo 1.26\n' > "${kwrk}/go.mod"
  rm -f "${kwrk}/go.sum"
  log "building kwok ${KWOK_VERSION}"
  (cd "${kwrk}" && go get "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" \
     && go build -p "${PARALLEL}" -trimpath -ldflags "-s -w" -o "${BIN_DIR}/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok) >&2 \
    || die "building kwok ${KWOK_VERSION} failed"
  # kwok ships no default stages in its binary: the ones kwokctl uses (Nodes initialized and
  # heartbeating with Leases; Pods made Ready, Job Pods completed, deleted Pods removed) come
  # from the module's kustomize/stage directory, for hack/local-clusters.sh's --config.
  kdir="$(cd "${kwrk}" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
      pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    [[ -f "${kdir}/kustomize/stage/${f}" ]] || die "kwok ${KWOK_VERSION} has no stage ${f}"
    echo "---"
    cat "${kdir}/kustomize/stage/${f}"
  done > "${BIN_DIR}/kwok-stages.yaml.tmp"
  mv "${BIN_DIR}/kwok-stages.yaml.tmp" "${BIN_DIR}/kwok-stages.yaml"
  mv "${BIN_DIR}/kwok.tmp" "${BIN_DIR}/kwok"
fi

log "binaries ready in ${BIN_DIR} after $(( $(date +%s) - start ))s"
echo "${BIN_DIR}"
