# Shared by hack/kubefed-e2e.sh and hack/migration-e2e.sh (sourced, not run): KubeFed v0.10.0's
# binaries (the test peer), kfed's binaries, fresh local clusters and a federation on them.
# The caller sources hack/lib.sh and calls lib_init first (REPO, KFED_CACHE, KFED_RUN_DIR,
# step, die).

# The federation namespace and the KubeFedConfig's scope (hack/kubefed-e2e.sh --namespaced
# sets foo and Namespaced, as KubeFed's CI deploys its namespace-scoped control plane).
KFED_NS="${KFED_NS:-kube-federation-system}"
KFED_SCOPE="${KFED_SCOPE:-Cluster}"

# Sets PEER_BIN: KubeFed's controller-manager, kubefedctl and e2e.test, built once by
# ${KFED_PEERS_DIR:-<repo>/../shared/peers}/build-kubefed.sh into KFED_CACHE/peers (cached by
# version like the Kubernetes binaries: a clone elsewhere, without ../shared/peers beside it,
# uses the cached build).
peer_binaries() {
  local peers="${KFED_PEERS_DIR:-${REPO}/../shared/peers}"
  local cached="${KFED_CACHE}/peers/kubefed-0.10.0/bin"
  step "KubeFed v0.10.0's binaries (${peers}/build-kubefed.sh; cached under ${KFED_CACHE}/peers)"
  if [[ -x "${peers}/build-kubefed.sh" ]]; then
    PEER_BIN="$("${peers}/build-kubefed.sh" "${KFED_CACHE}/peers")" || die "building KubeFed's binaries"
  elif [[ -x "${cached}/controller-manager" && -x "${cached}/kubefedctl" && -x "${cached}/e2e.test" ]]; then
    PEER_BIN="${cached}"
  else
    die "no ${peers}/build-kubefed.sh and no cached build in ${cached} (set KFED_PEERS_DIR to the directory holding KubeFed's source and build-kubefed.sh)"
  fi
}

# Sets KFED_KUBE_BIN, KFED_CONTROLLER_BIN and KFED_KFEDCTL_BIN (built with Bazel unless given).
kfed_binaries() {
  step "Kubernetes binaries (hack/kube-binaries.sh; cached)"
  KFED_KUBE_BIN="$(hack/kube-binaries.sh)" || die "building the Kubernetes binaries"
  export KFED_KUBE_BIN
  if [[ -z "${KFED_CONTROLLER_BIN:-}" || -z "${KFED_KFEDCTL_BIN:-}" ]]; then
    step "building kfed-controller-manager and kfedctl (Bazel)"
    bazel build --disk_cache="${KFED_CACHE}/bazel-disk" //controller:kfed-controller-manager //cli:kfedctl \
      || die "bazel build"
    local bazel_bin
    bazel_bin="$(bazel info --disk_cache="${KFED_CACHE}/bazel-disk" bazel-bin 2>/dev/null)"
    KFED_CONTROLLER_BIN="${KFED_CONTROLLER_BIN:-${bazel_bin}/controller/kfed-controller-manager}"
    KFED_KFEDCTL_BIN="${KFED_KFEDCTL_BIN:-${bazel_bin}/cli/kfedctl}"
  fi
  [[ -x "${KFED_CONTROLLER_BIN}" && -x "${KFED_KFEDCTL_BIN}" ]] \
    || die "missing ${KFED_CONTROLLER_BIN} or ${KFED_KFEDCTL_BIN}"
}

# fresh_clusters [UP_FLAGS...]: recreates the clusters of KFED_RUN_DIR (hack/local-clusters.sh
# up with UP_FLAGS) and sets KUBECONFIG_PATH, HOST (the kubeconfig's current context) and
# MEMBERS.
fresh_clusters() {
  step "fresh local clusters in ${KFED_RUN_DIR} (hack/local-clusters.sh)"
  hack/local-clusters.sh down >/dev/null 2>&1
  local log="${KFED_CACHE}/$(basename "${KFED_RUN_DIR}")-up.log"
  # Under load a kube-controller-manager can give up before its apiserver has bootstrapped
  # RBAC (it exits after 10 s of 403 on /healthz, and `up` says so); `up` again starts what
  # exited and keeps the rest.
  local attempt
  : >"${log}"
  for attempt in 1 2 3 4; do
    hack/local-clusters.sh up "$@" >>"${log}" 2>&1 && break
    (( attempt < 4 )) || { tail -20 "${log}"; die "starting the local clusters (${log})"; }
  done
  KUBECONFIG_PATH="$(hack/local-clusters.sh kubeconfig)"
  HOST="$("${KFED_KUBE_BIN}/kubectl" --kubeconfig "${KUBECONFIG_PATH}" config current-context)"
  MEMBERS="$(grep -vx "${HOST}" "${KFED_RUN_DIR}/clusters" | tr '\n' ' ')"
}

# kubectl against the host (kc CONTEXT ... for another cluster).
k() { "${KFED_KUBE_BIN}/kubectl" --kubeconfig "${KUBECONFIG_PATH}" --context "${HOST}" "$@"; }
kc() { local c=$1; shift; "${KFED_KUBE_BIN}/kubectl" --kubeconfig "${KUBECONFIG_PATH}" --context "${c}" "$@"; }

# kfed's CRDs, the ten default FederatedTypeConfigs and the KubeFedConfig KubeFed v0.10's chart
# installs (charts/kubefed/charts/controllermanager/templates/kubefedconfig.yaml with its
# default values; the gates it leaves out are added at admission). RAW_RESOURCE_STATUS_COLLECTION
# (default Disabled, the chart's value) sets that gate: KubeFed's CI deploys with it Enabled
# (scripts/deploy-kubefed.sh), which its "read its remote status" specs need.
install_federation_types() {
  step "kfed's CRDs, the default FederatedTypeConfigs and KubeFed's chart KubeFedConfig in ${HOST}"
  k apply --server-side --force-conflicts -f federated_types/crds/ >/dev/null || die "applying the CRDs"
  # A CRD serves its kind only once Established (a fast machine applied the KubeFedConfig too
  # early: "Resource kind ... KubeFedConfig not found").
  k wait --for=condition=Established crd --all --timeout=120s >/dev/null || die "the CRDs are not Established"
  k create namespace "${KFED_NS}" >/dev/null 2>&1
  k apply --server-side --force-conflicts -n "${KFED_NS}" -f federated_types/crds/generated/ >/dev/null \
    || die "applying the federated types"
  local kfc
  kfc="$(cat <<YAML
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata:
  name: kubefed
  namespace: ${KFED_NS}
spec:
  scope: ${KFED_SCOPE}
  controllerDuration: {availableDelay: 20s, unavailableDelay: 60s, cacheSyncTimeout: 5m}
  leaderElect: {leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 5s, resourceLock: configmaps}
  clusterHealthCheck: {period: 10s, failureThreshold: 3, successThreshold: 1, timeout: 3s}
  syncController: {maxConcurrentReconciles: 1, adoptResources: Enabled}
  statusController: {maxConcurrentReconciles: 1}
  featureGates:
  - {name: PushReconciler, configuration: Enabled}
  - {name: SchedulerPreferences, configuration: Enabled}
  - {name: RawResourceStatusCollection, configuration: ${RAW_RESOURCE_STATUS_COLLECTION:-Disabled}}
YAML
)"
  # Established is not always enough: right after the CRDs (and the MutatingAdmissionPolicy
  # that defaults this kind) the apiserver may still answer 503 "Resource kind ... not found"
  # for a short while. Retry for up to a minute.
  local try
  for try in $(seq 1 60); do
    k apply -f - >/dev/null 2>"${KFED_RUN_DIR}/kubefedconfig-apply.err" <<<"${kfc}" && break
    (( try < 60 )) || { cat "${KFED_RUN_DIR}/kubefedconfig-apply.err" >&2; die "applying the KubeFedConfig"; }
    sleep 1
  done
}

# Writes KFED_RUN_DIR/kfed-controller-manager.kubeconfig: a token of the host ServiceAccount
# kfed-controller-manager bound to config/rbac/host/ (what the chart deploys kfed with).
controller_kubeconfig() {
  # The manifests name kube-federation-system; another federation namespace replaces it.
  sed "s/kube-federation-system/${KFED_NS}/" config/rbac/host/cluster.yaml | k apply -f - >/dev/null \
    || die "applying config/rbac/host/cluster.yaml"
  sed "s/kube-federation-system/${KFED_NS}/" config/rbac/host/namespace.yaml \
    | k apply -n "${KFED_NS}" -f - >/dev/null || die "applying config/rbac/host/namespace.yaml"
  local token server ca
  token="$(k -n "${KFED_NS}" create token kfed-controller-manager --duration 24h)" || die "token for the controller"
  server="$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')"
  ca="$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')"
  CONTROLLER_KUBECONFIG="${KFED_RUN_DIR}/kfed-controller-manager.kubeconfig"
  (umask 077; cat > "${CONTROLLER_KUBECONFIG}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ${HOST}
  cluster: {server: "${server}", certificate-authority-data: "${ca}"}
users:
- name: kfed-controller-manager
  user: {token: "${token}"}
contexts:
- name: ${HOST}
  context: {cluster: ${HOST}, user: kfed-controller-manager}
current-context: ${HOST}
EOF
  )
}

# A free loopback port at or above $1.
free_port() { local p=$1; while ss -Htln "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }

# start_kfed LOG [FLAGS...]: kfed-controller-manager as that ServiceAccount, in the background;
# sets KFED_PID and KFED_METRICS_PORT (plain HTTP on loopback, bearer tokens still required).
start_kfed() {
  local log=$1; shift
  [[ -n "${CONTROLLER_KUBECONFIG:-}" ]] || controller_kubeconfig
  KFED_METRICS_PORT="$(free_port $((20000 + RANDOM % 20000)))"
  setsid "${KFED_CONTROLLER_BIN}" --kubeconfig "${CONTROLLER_KUBECONFIG}" --kubefed-namespace "${KFED_NS}" \
    --metrics-addr "127.0.0.1:${KFED_METRICS_PORT}" --healthz-addr 127.0.0.1:0 --status-addr "" \
    --insecure-local -v 2 "$@" >>"${log}" 2>&1 </dev/null &
  KFED_PID=$!
}

# stop_pid PID: SIGTERM, then waits up to 30 s for it to exit (SIGKILL after).
stop_pid() {
  local pid=$1 i
  [[ -n "${pid}" ]] || return 0
  kill -TERM "${pid}" 2>/dev/null || return 0
  for i in $(seq 1 150); do kill -0 "${pid}" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "${pid}" 2>/dev/null
  wait "${pid}" 2>/dev/null
  return 0
}

# wait_clusters_ready CLUSTER...: every KubeFedCluster Ready within 120 s.
wait_clusters_ready() {
  local m
  for m in "$@"; do
    k -n "${KFED_NS}" wait --for=condition=Ready --timeout=120s "kubefedcluster/${m}" >/dev/null || return 1
  done
}
