#!/usr/bin/env bash
# The in-cluster end-to-end test: kfed installed with its Helm chart into a host cluster with
# real Nodes (hack/local-clusters.sh up --host-kubelet: two kubelets with containerd, on
# loopback), members simulated by kwok. On clusters of its own (KFED_RUN_DIR below), which it
# brings down at the end. Each step prints "[incluster] ok: ..." or "[incluster] FAIL: ..."
# (and stops there); "[incluster] measured: ..." lines carry the numbers of docs/benchmarks.md.
#
#  1. hack/image.sh builds the image (into the run's own directory); it is imported into
#     each Node's containerd (pullPolicy Never: nothing is pulled).
#  2. helm install with hostNetwork, KUBERNETES_SERVICE_HOST/PORT = the host apiserver on
#     127.0.0.1: both replicas Running and Ready (one per Node, the servers bound to the
#     Node's IP), one holds the Lease kubefed-controller-manager.
#  3. kfedctl join member1 and member2: both KubeFedClusters Ready.
#  4. A FederatedDeployment (in a FederatedNamespace) reaches both members.
#  5. Deleting the leader Pod (its Node cordoned) hands the Lease to the standby; a change to the
#     FederatedDeployment and a new FederatedConfigMap propagate; no member object was
#     recreated (same uids).
#  6. helm upgrade (logLevel 2, featureGates.PushReconciler Disabled): the Pods roll, run
#     with -v=2, and the new leader reads the gate from the KubeFedConfig (its log says so).
#  7. helm uninstall: the controller, its RBAC and the KubeFedConfig go; the federated
#     objects, the FederatedTypeConfigs, the CRDs and every member copy stay (same uids).
#
# Usage: hack/incluster-e2e.sh [--keep]   (--keep: leave the clusters up for a look)
# Environment: KFED_RUN_DIR (default <repo>/.run/incluster-clusters), KFED_IMAGE_ARCHIVE
# (an archive of hack/image.sh to use instead of building one).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init incluster incluster-clusters
parse_keep_flag "$@"
NS=kube-federation-system

measured() { echo "[incluster] measured: $*"; }
fail() {
  echo "[incluster] FAIL: $*"
  if [[ -n "${K:-}" ]]; then
    echo "--- host pods, events and controller logs ---"
    k -n "${NS}" get pods -o wide 2>&1 || true
    k -n "${NS}" get events --sort-by=.lastTimestamp 2>&1 | tail -15 || true
    for p in $(k -n "${NS}" get pods -o name 2>/dev/null); do
      echo "--- ${p}"; k -n "${NS}" logs "${p}" 2>&1 | tail -15 || true
    done
  fi
  exit 1
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds, or fail.
wait_for() {
  local timeout=$1 what=$2; shift 2
  poll_until "${timeout}" 0.2 "$@" || fail "${what}: not after ${timeout}s"
}

cleanup() {
  if (( KEEP )); then
    echo "[incluster] clusters left up: eval \"\$(KFED_RUN_DIR=${KFED_RUN_DIR} hack/local-clusters.sh env)\"" >&2
  fi
  clusters_down_unless_keep
}

# --- 1. image and clusters ----------------------------------------------------------------
HELM="$(hack/helm.sh)" || fail "hack/helm.sh could not build helm"
if [[ -n "${KFED_IMAGE_ARCHIVE:-}" ]]; then
  ARCHIVE="${KFED_IMAGE_ARCHIVE}"
else
  # The run's own directory: a shared cache would be overwritten by other branches' builds.
  ARCHIVE="$(hack/image.sh --out "${KFED_RUN_DIR}.image" | tail -1)" || fail "hack/image.sh failed"
fi
[[ -f "${ARCHIVE}" ]] || fail "no image archive ${ARCHIVE}"
VERSION="$(basename "${ARCHIVE}" .oci.tar)"; VERSION="${VERSION#kfed-}"
measured "image kfed:${VERSION}: $(du -m "${ARCHIVE}" | cut -f1) MiB archive ($(du -b "${ARCHIVE}" | cut -f1) bytes)"
KFEDCTL="$(bazel info -c opt bazel-bin 2>/dev/null)/cli/kfedctl"
[[ -x "${KFEDCTL}" ]] || fail "no kfedctl at ${KFEDCTL} (hack/image.sh builds it)"

hack/local-clusters.sh down >/dev/null 2>&1 || true
trap cleanup EXIT
hack/local-clusters.sh up --host-kubelet >&2 || fail "hack/local-clusters.sh up --host-kubelet"
eval "$(hack/local-clusters.sh env)"
KUBECONFIG_FILE="${KFED_E2E_KUBECONFIG}"
K="${KFED_KUBE_BIN}/kubectl"
k() { "${K}" --kubeconfig "${KUBECONFIG_FILE}" --context host "$@"; }
# Whether Pod $1's log holds $2. Not `logs | grep -q`: grep stops at the first match, kubectl
# then dies of SIGPIPE and, under pipefail, the pipeline fails although the line is there.
log_has() { local out; out="$(k -n "${NS}" logs "$1" 2>/dev/null)" || return 1; [[ "${out}" == *"$2"* ]]; }
km() { local m=$1; shift; "${K}" --kubeconfig "${KUBECONFIG_FILE}" --context "${m}" "$@"; }
HOST_PORT="$(cat "${KFED_RUN_DIR}/host/port")"
ok "host with Nodes $(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}')and members member1, member2"
hack/local-clusters.sh import-image "${ARCHIVE}" docker.io/library/kfed >&2 || fail "importing the image"
ok "image imported into both Nodes' containerd as docker.io/library/kfed:${VERSION}"

# --- 2. helm install ----------------------------------------------------------------------
VALUES="${KFED_RUN_DIR}/incluster-values.yaml"
cat > "${VALUES}" <<YAML
# The local host has no Pod network and no kube-proxy: Pods use their Node's network and
# reach the apiserver on loopback, never through the Service CIDR.
controllermanager:
  controller:
    hostNetwork: true
    image:
      pullPolicy: Never
    env:
      KUBERNETES_SERVICE_HOST: "127.0.0.1"
      KUBERNETES_SERVICE_PORT: "${HOST_PORT}"
    resources:
      requests: {cpu: 10m, memory: 32Mi}
YAML
pods_ready() {
  local want=$1
  [[ "$(k -n "${NS}" get pods -l app.kubernetes.io/component=controller-manager \
    -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}x{end}')" == "" ]] || return 1
  [[ "$(k -n "${NS}" get pods -l app.kubernetes.io/component=controller-manager \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" == "${want}" ]]
}
# A brand-new host may refuse the chart's KubeFedConfig for a moment after the CRDs are
# Established: helm_install_retrying (hack/lib.sh) uninstalls and installs again.
t_install=$(now)
helm_cmd=("${HELM}" --kubeconfig "${KUBECONFIG_FILE}" --kube-context host --namespace "${NS}")
helm_install_retrying incluster "${KFED_RUN_DIR}/helm-install.out" \
  -- "${helm_cmd[@]}" install kfed charts/kfed --create-namespace -f "${VALUES}" \
  -- "${helm_cmd[@]}" uninstall kfed --wait \
  || { cat "${KFED_RUN_DIR}/helm-install.out"; fail "helm install"; }
t_helm=$(now)
wait_for 180 "both replicas Running and Ready" pods_ready 2
t_ready=$(now)
[[ "$(k -n "${NS}" get pods -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | wc -l)" == 2 ]] \
  || fail "the two replicas are not on two Nodes"
ok "helm install: 2 replicas Running and Ready, one per Node ($(k -n "${NS}" get pods -o jsonpath='{range .items[*]}{.metadata.name}@{.status.podIP} {end}'))"
measured "helm install: returned after $(secs "${t_install}" "${t_helm}") s (CRDs, RBAC, FederatedTypeConfigs, Deployment); both replicas Ready $(secs "${t_helm}" "${t_ready}") s later"

holder() { k -n "${NS}" get lease kubefed-controller-manager -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is_a_pod() { local h; h="$(holder)"; [[ -n "${h}" ]] && k -n "${NS}" get pod "${h}" >/dev/null 2>&1; }
wait_for 60 "a replica holds the Lease kubefed-controller-manager" holder_is_a_pod
LEADER="$(holder)"
# Per Pod, from the API's timestamps (1 s resolution): created -> Ready. A standby is ready
# once its health server answers, the leader once its caches synced too.
for p in $(k -n "${NS}" get pods -o name); do
  created=$(date -d "$(k -n "${NS}" get "${p}" -o jsonpath='{.metadata.creationTimestamp}')" +%s)
  readyat=$(date -d "$(k -n "${NS}" get "${p}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')" +%s)
  role=standby; [[ "${p#pod/}" == "${LEADER}" ]] && role=leader
  measured "Pod created to Ready: $((readyat - created)) s (${role})"
done
leaders=0
for p in $(k -n "${NS}" get pods -o name); do
  log_has "${p}" "promoted as leader" && leaders=$((leaders + 1))
done
[[ "${leaders}" == 1 ]] || fail "${leaders} replicas say they were promoted to leader (want 1)"
ok "Pod ${LEADER} holds the Lease kubefed-controller-manager; the other replica stands by"
# The probes reach the controller's health server on the Node's IP (hostNetwork).
ip="$(k -n "${NS}" get pod "${LEADER}" -o jsonpath='{.status.podIP}')"
[[ "$(curl -s --max-time 3 "http://${ip}:8080/healthz")" == ok ]] || fail "http://${ip}:8080/healthz is not ok"
ok "the leader's /healthz answers on its Node's address ${ip}:8080"

# --- 3. join ------------------------------------------------------------------------------
for m in member1 member2; do
  KUBECONFIG="${KUBECONFIG_FILE}" "${KFEDCTL}" --host-cluster-context host join "${m}" \
    --cluster-context "${m}" >/dev/null || fail "kfedctl join ${m}"
done
cluster_ready() { [[ "$(k -n "${NS}" get kubefedcluster "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]; }
for m in member1 member2; do wait_for 120 "KubeFedCluster ${m} Ready" cluster_ready "${m}"; done
ok "kfedctl join member1, member2: both KubeFedClusters Ready"

# --- 4. propagation -----------------------------------------------------------------------
cat <<'YAML' | k apply -f - >/dev/null || fail "creating the federated objects"
apiVersion: v1
kind: Namespace
metadata: {name: incluster}
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedNamespace
metadata: {name: incluster, namespace: incluster}
spec:
  placement: {clusters: [{name: member1}, {name: member2}]}
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata: {name: web, namespace: incluster}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: registry.invalid/web:1}]
  placement: {clusters: [{name: member1}, {name: member2}]}
YAML
replicas_in() { [[ "$(km "$1" -n incluster get deployment web -o jsonpath='{.spec.replicas}')" == "$2" ]]; }
for m in member1 member2; do wait_for 120 "Deployment incluster/web in ${m}" replicas_in "${m}" 1; done
declare -A UID_BEFORE
for m in member1 member2; do
  UID_BEFORE[${m}]="$(km "${m}" -n incluster get deployment web -o jsonpath='{.metadata.uid}')"
  [[ "$(km "${m}" -n incluster get deployment web -o jsonpath='{.metadata.labels.kubefed\.io/managed}')" == true ]] \
    || fail "Deployment incluster/web in ${m} lacks kubefed.io/managed=true"
done
ok "FederatedDeployment incluster/web propagated to member1 and member2"

# --- 5. failover --------------------------------------------------------------------------
# The leader's Node is cordoned first: the replacement Pod cannot start anywhere (the other
# Node's host ports are taken), so the Lease can only go to the standby replica, not to a
# fresh Pod racing it.
LEADER_NODE="$(k -n "${NS}" get pod "${LEADER}" -o jsonpath='{.spec.nodeName}')"
STANDBY="$(k -n "${NS}" get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | grep -vx "${LEADER}")"
k cordon "${LEADER_NODE}" >/dev/null || fail "cordoning Node ${LEADER_NODE}"
t_delete=$(now)
k -n "${NS}" delete pod "${LEADER}" --wait=false >/dev/null || fail "deleting the leader Pod"
new_leader() { local h; h="$(holder)"; [[ -n "${h}" && "${h}" != "${LEADER}" ]]; }
wait_for 120 "another replica takes the Lease after ${LEADER} was deleted" new_leader
t_leader=$(now)
NEW_LEADER="$(holder)"
[[ "${NEW_LEADER}" == "${STANDBY}" ]] || fail "the Lease went to ${NEW_LEADER}, not to the standby replica ${STANDBY}"
k -n incluster patch federateddeployment web --type merge \
  -p '{"spec":{"template":{"spec":{"replicas":2}}}}' >/dev/null || fail "updating the FederatedDeployment"
for m in member1 member2; do wait_for 120 "the new replicas (2) in ${m} after the failover" replicas_in "${m}" 2; done
t_propagated=$(now)
cat <<'YAML' | k apply -f - >/dev/null || fail "creating a FederatedConfigMap"
apiVersion: types.kubefed.io/v1beta1
kind: FederatedConfigMap
metadata: {name: after-failover, namespace: incluster}
spec:
  template: {data: {k: v}}
  placement: {clusters: [{name: member1}, {name: member2}]}
YAML
for m in member1 member2; do
  wait_for 120 "ConfigMap incluster/after-failover in ${m}" km "${m}" -n incluster get configmap after-failover
  [[ "$(km "${m}" -n incluster get deployment web -o jsonpath='{.metadata.uid}')" == "${UID_BEFORE[${m}]}" ]] \
    || fail "Deployment incluster/web in ${m} was recreated (uid changed) across the failover"
done
ok "leader Pod deleted: the standby ${NEW_LEADER} took the Lease; an update and a new object propagated; no member object recreated"
measured "failover: leader Pod deleted to new Lease holder: $(secs "${t_delete}" "${t_leader}") s; to an update propagated by it: $(secs "${t_delete}" "${t_propagated}") s"
k uncordon "${LEADER_NODE}" >/dev/null || fail "uncordoning Node ${LEADER_NODE}"
wait_for 180 "the replacement replica Ready" pods_ready 2

# --- 6. helm upgrade ----------------------------------------------------------------------
OLD_PODS="$(k -n "${NS}" get pods -o jsonpath='{.items[*].metadata.name}')"
"${HELM}" --kubeconfig "${KUBECONFIG_FILE}" --kube-context host upgrade kfed charts/kfed \
  --namespace "${NS}" --reuse-values --set controllermanager.controller.logLevel=2 \
  --set controllermanager.featureGates.PushReconciler=Disabled >/dev/null || fail "helm upgrade"
rolled() {
  local p
  pods_ready 2 || return 1
  for p in $(k -n "${NS}" get pods -o jsonpath='{.items[*].metadata.name}'); do
    [[ " ${OLD_PODS} " != *" ${p} "* ]] || return 1
    k -n "${NS}" get pod "${p}" -o jsonpath='{.spec.containers[0].args}' | grep -q -- '--v=2' || return 1
  done
}
wait_for 240 "both replicas replaced by Pods with --v=2 and Ready" rolled
[[ "$(k -n "${NS}" get kubefedconfig kubefed -o jsonpath='{.spec.featureGates[?(@.name=="PushReconciler")].configuration}')" == Disabled ]] \
  || fail "KubeFedConfig kubefed does not say PushReconciler Disabled"
upgraded_leader_read_gate() {
  holder_is_a_pod || return 1
  [[ " ${OLD_PODS} " != *" $(holder) "* ]] || return 1
  log_has "$(holder)" "feature gate PushReconciler is Disabled in KubeFedConfig"
}
wait_for 120 "the upgraded leader logs that PushReconciler is Disabled" upgraded_leader_read_gate
ok "helm upgrade: Pods rolled one at a time to --v=2; the new leader $(holder) runs with PushReconciler Disabled"

# --- 7. helm uninstall --------------------------------------------------------------------
"${HELM}" --kubeconfig "${KUBECONFIG_FILE}" --kube-context host uninstall kfed --namespace "${NS}" >/dev/null \
  || fail "helm uninstall"
no_pods() { [[ -z "$(k -n "${NS}" get pods -o name)" ]]; }
wait_for 120 "the controller Pods gone" no_pods
! k -n "${NS}" get deployment kfed-controller-manager >/dev/null 2>&1 || fail "the Deployment is still there"
! k -n "${NS}" get kubefedconfig kubefed >/dev/null 2>&1 || fail "KubeFedConfig kubefed is still there"
! k get clusterrole kfed-controller-manager >/dev/null 2>&1 || fail "ClusterRole kfed-controller-manager is still there"
k -n incluster get federateddeployment web >/dev/null || fail "FederatedDeployment incluster/web is gone"
k -n incluster get federatedconfigmap after-failover >/dev/null || fail "FederatedConfigMap incluster/after-failover is gone"
[[ "$(k -n "${NS}" get federatedtypeconfigs -o name | wc -l)" == 10 ]] || fail "the 10 FederatedTypeConfigs are not all kept"
k get crd federateddeployments.types.kubefed.io >/dev/null || fail "the CRDs are gone"
for m in member1 member2; do
  [[ "$(km "${m}" -n incluster get deployment web -o jsonpath='{.metadata.uid}')" == "${UID_BEFORE[${m}]}" ]] \
    || fail "Deployment incluster/web in ${m} is gone or was recreated after helm uninstall"
  km "${m}" -n incluster get configmap after-failover >/dev/null || fail "ConfigMap incluster/after-failover in ${m} is gone"
done
ok "helm uninstall: controller, RBAC and KubeFedConfig removed; federated objects, 10 FederatedTypeConfigs, CRDs and member copies (same uids) kept"
echo "[incluster] all checks passed"
