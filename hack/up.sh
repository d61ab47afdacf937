#!/usr/bin/env bash
# The main job: on a fresh Debian 12 machine, installs what is missing, builds kfed, starts a
# local host cluster plus member clusters (real kube-apiservers on loopback), installs kfed's
# CRDs and the ten default federated types, joins the members, runs kfed-controller-manager
# and applies the example federated resources. Safe to run twice (it restarts the controller
# with the freshly built binary and re-applies everything).
#
# Usage: hack/up.sh [--members N]      Stop everything with: hack/down.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
export KFED_CACHE
export KFED_RUN_DIR="${KFED_RUN_DIR:-${REPO}/.run/clusters}"
NS=kube-federation-system
step() { echo; echo "==> [up] $*"; }
trap 'echo "==> [up] FAILED at step: ${CURRENT_STEP:-?}" >&2' ERR

CURRENT_STEP="install dependencies"; step "${CURRENT_STEP}"
hack/install-deps.sh

CURRENT_STEP="build Kubernetes binaries"; step "${CURRENT_STEP} (cached by version; the first build takes 10-15 minutes on 2 cores)"
KFED_KUBE_BIN="$(hack/kube-binaries.sh)"
export KFED_KUBE_BIN

CURRENT_STEP="build kfed"; step "${CURRENT_STEP}"
bazel build --disk_cache="${KFED_CACHE}/bazel-disk" //...
BAZEL_BIN="$(bazel info bazel-bin 2>/dev/null)"
CONTROLLER="${BAZEL_BIN}/controller/kfed-controller-manager"
KFEDCTL="${BAZEL_BIN}/cli/kfedctl"

CURRENT_STEP="start local clusters"; step "${CURRENT_STEP}"
hack/local-clusters.sh up "$@"
KUBECONFIG_PATH="$(hack/local-clusters.sh kubeconfig)"
KUBECTL=("${KFED_KUBE_BIN}/kubectl" --kubeconfig "${KUBECONFIG_PATH}")
MEMBERS=$(grep -v '^host$' "${KFED_RUN_DIR}/clusters" | tr '\n' ' ')

CURRENT_STEP="install kfed CRDs and the default federated types into the host"; step "${CURRENT_STEP}"
"${KUBECTL[@]}" --context host apply --server-side --force-conflicts -f federated_types/crds/ >/dev/null
"${KUBECTL[@]}" --context host create namespace "${NS}" --dry-run=client -o yaml | "${KUBECTL[@]}" --context host apply -f - >/dev/null
"${KUBECTL[@]}" --context host apply --server-side --force-conflicts -n "${NS}" -f federated_types/crds/generated/ >/dev/null

CURRENT_STEP="join member clusters (${MEMBERS})"; step "${CURRENT_STEP}"
# shellcheck disable=SC2086
KUBECTL="${KFED_KUBE_BIN}/kubectl" hack/join-local.sh --kubeconfig "${KUBECONFIG_PATH}" ${MEMBERS}

CURRENT_STEP="start kfed-controller-manager"; step "${CURRENT_STEP}"
PIDFILE="${KFED_RUN_DIR}/kfed-controller-manager.pid"
if [[ -f "${PIDFILE}" ]] && kill -0 "$(cat "${PIDFILE}")" 2>/dev/null; then
  kill -TERM "$(cat "${PIDFILE}")" || true
  for _ in $(seq 1 100); do kill -0 "$(cat "${PIDFILE}")" 2>/dev/null || break; sleep 0.1; done
fi
free_port() { local p=$1; while ss -Htln "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
METRICS_PORT=$(free_port 9090)
STATUS_PORT=$(free_port $((METRICS_PORT + 1)))
HEALTHZ_PORT=$(free_port 8080)
LOG="${KFED_RUN_DIR}/kfed-controller-manager.log"
# On this machine only: plain HTTP and gRPC on 127.0.0.1 (--insecure-local). Readers still need
# a bearer token the host's RBAC allows (a cluster install serves TLS: docs/user-guide.md).
setsid "${CONTROLLER}" --kubeconfig "${KUBECONFIG_PATH}" --context host --kubefed-namespace "${NS}" \
  --metrics-addr "127.0.0.1:${METRICS_PORT}" --healthz-addr "127.0.0.1:${HEALTHZ_PORT}" \
  --status-addr "127.0.0.1:${STATUS_PORT}" --insecure-local -v 1 \
  >>"${LOG}" 2>&1 < /dev/null &
echo $! > "${PIDFILE}"
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:${HEALTHZ_PORT}/healthz" >/dev/null 2>&1 && break
  kill -0 "$(cat "${PIDFILE}")" 2>/dev/null || { tail -20 "${LOG}" >&2; echo "kfed-controller-manager exited; see ${LOG}" >&2; false; }
  sleep 0.2
done
for m in ${MEMBERS}; do
  "${KUBECTL[@]}" --context host -n "${NS}" wait --for=condition=Ready --timeout=60s "kubefedcluster/${m}" >/dev/null
done

CURRENT_STEP="make a viewer token for the dashboard, the status API and /metrics"; step "${CURRENT_STEP}"
TOKEN_FILE="${KFED_RUN_DIR}/viewer.token"
(umask 077; KUBECTL="${KFED_KUBE_BIN}/kubectl" hack/viewer-token.sh --kubeconfig "${KUBECONFIG_PATH}" \
  --namespace "${NS}" > "${TOKEN_FILE}")

CURRENT_STEP="apply the example federated resources (examples/)"; step "${CURRENT_STEP}"
"${KUBECTL[@]}" --context host apply -f examples/
"${KUBECTL[@]}" --context host -n demo wait --for=condition=Propagation --timeout=60s \
  federatedconfigmap/web-config federateddeployment/web federatedservice/web >/dev/null

step "ready"
cat <<INFO
Local clusters:
$(hack/local-clusters.sh status)

Federated resources in the host and their copies in the members:
$("${KUBECTL[@]}" --context host -n demo get federatedconfigmaps,federateddeployments,federatedservices)
$(for m in ${MEMBERS}; do echo "--- ${m}"; "${KUBECTL[@]}" --context "${m}" -n demo get configmap/web-config deployment/web service/web 2>&1; done)

Try it:
  export KUBECONFIG=${KUBECONFIG_PATH}
  ${KFED_KUBE_BIN}/kubectl --context host -n demo edit federatedconfigmap web-config
  ${KFED_KUBE_BIN}/kubectl --context member2 -n demo get configmap web-config -o yaml

kfed-controller-manager: pid $(cat "${PIDFILE}"), log ${LOG}
  A bearer token that may read everything (ServiceAccount kfed-viewer): ${TOKEN_FILE}
  metrics:     curl -H "Authorization: Bearer \$(cat ${TOKEN_FILE})" http://127.0.0.1:${METRICS_PORT}/metrics
  health:      http://127.0.0.1:${HEALTHZ_PORT}/healthz  http://127.0.0.1:${HEALTHZ_PORT}/readyz
  status API:  127.0.0.1:${STATUS_PORT} (gRPC, plaintext on loopback: --insecure-local)
  ${KFEDCTL} status --status-addr 127.0.0.1:${STATUS_PORT} --plaintext --token-file ${TOKEN_FILE}

Stop everything with: hack/down.sh

Dashboard: http://127.0.0.1:${METRICS_PORT}/ (sign in with the token in ${TOKEN_FILE}),
  or signed in already through a local proxy with your token:
  ${KFEDCTL} dashboard --dashboard-addr http://127.0.0.1:${METRICS_PORT} --token-file ${TOKEN_FILE}
INFO
