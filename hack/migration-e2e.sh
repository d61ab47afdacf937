#!/usr/bin/env bash
# The migration e2e (docs/user-guide.md, "Migrating from KubeFed"): a live federation switched
# from KubeFed v0.10.0 (the peer's controller-manager, members joined with its kubefedctl) to
# kfed, and back, on the same clusters.
#
#  1. fresh local clusters (a host and two members with kwok Nodes); kfed's CRDs, the default
#     FederatedTypeConfigs and KubeFed's chart KubeFedConfig in the host; the members joined
#     with KubeFed's `kubefedctl join`; KubeFed's controller-manager running;
#  2. federated objects of several types (Namespace, ConfigMap with an override, Secret,
#     Deployment with an override, Service) propagated by KubeFed; member uids and
#     resourceVersions recorded;
#  3. kfed started beside KubeFed (host RBAC of config/rbac/host/, the members' KubeFed
#     tokens): it stands by while KubeFed holds its lock. KubeFed stopped: kfed leads, every
#     member object kept (same uid), no member write at rest (resourceVersions and Deployment
#     generations unchanged, kfed_member_writes_total 0), statuses continue (KubeFedClusters
#     probed, a template update propagated and reported), drift undone;
#  4. kfed stopped, KubeFed started again: the same checks with KubeFed acting.
#
# Prints one line per check ("[migration] ok: ..." / "[migration] FAIL: ...") and exits non-zero
# when any failed. Usage: hack/migration-e2e.sh [--keep]   (--keep leaves the clusters up)
# Environment: as hack/kubefed-e2e.sh (KFED_RUN_DIR default <repo>/.run/migration-e2e).
set -uo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_init migration migration-e2e
parse_keep_flag "$@"

failed=0
# A check failed: reported, and the script goes on (it exits non-zero at the end).
fail() { echo "[migration] FAIL: $*"; failed=1; }
# shellcheck source=hack/kubefed-peer-lib.sh
source hack/kubefed-peer-lib.sh

peer_binaries
kfed_binaries
fresh_clusters
cleanup() {
  stop_pid "${KFED_PID:-}"
  stop_pid "${KUBEFED_PID:-}"
  clusters_down_unless_keep
}
trap cleanup EXIT
install_federation_types
LOGS="${KFED_RUN_DIR}/logs"
mkdir -p "${LOGS}"

# until DESCRIPTION SECONDS COMMAND...: runs COMMAND until it succeeds, at most SECONDS.
until_ok() {
  local what=$1 seconds=$2
  shift 2
  poll_until "${seconds}" 1 "$@" || { fail "${what} (not within ${seconds}s)"; return 1; }
}

start_kubefed() {
  local port
  port="$(free_port $((20000 + RANDOM % 20000)))"
  setsid "${PEER_BIN}/controller-manager" --kubeconfig "${KUBECONFIG_PATH}" --kubefed-namespace "${KFED_NS}" \
    --metrics-addr "127.0.0.1:${port}" --healthz-addr "127.0.0.1:$(free_port $((port + 1)))" -v 2 \
    >>"${LOGS}/kubefed-controller-manager.log" 2>&1 </dev/null &
  KUBEFED_PID=$!
}

step "joining ${MEMBERS}with KubeFed's kubefedctl; starting KubeFed's controller-manager"
for m in ${MEMBERS}; do
  "${PEER_BIN}/kubefedctl" join "${m}" --cluster-context "${m}" --host-cluster-context "${HOST}" \
    --kubeconfig "${KUBECONFIG_PATH}" --kubefed-namespace "${KFED_NS}" --v=2 \
    >>"${LOGS}/kubefedctl.log" 2>&1 || die "kubefedctl join ${m} (${LOGS}/kubefedctl.log)"
done
start_kubefed
# shellcheck disable=SC2086
if ! wait_clusters_ready ${MEMBERS}; then
  # The run directory goes with the clusters: show what KubeFed said before it does.
  k -n "${KFED_NS}" get kubefedclusters -o yaml 2>&1 | grep -E '^  name:|^    (- )?(lastProbeTime|lastTransitionTime|message|reason|status|type):' || true
  grep -v -E '^I[0-9]{4} ' "${LOGS}/kubefed-controller-manager.log" | tail -n 12 || true
  tail -n 6 "${LOGS}/kubefed-controller-manager.log" || true
  die "KubeFed did not report the members Ready (its log's errors and last lines above)"
fi
ok "KubeFed v0.10.0 runs with ${MEMBERS}joined by kubefedctl"

step "federated objects of five types, propagated by KubeFed"
k apply -f examples/ >/dev/null || die "applying examples/"
k apply -f - >/dev/null <<'YAML' || die "applying the FederatedSecret"
apiVersion: types.kubefed.io/v1beta1
kind: FederatedSecret
metadata:
  name: web-secret
  namespace: demo
spec:
  template:
    type: Opaque
    stringData: {password: kubefed-era}
  placement:
    clusterSelector: {}
YAML
OBJECTS=(namespace/demo configmap/web-config secret/web-secret service/web deployment/web)
FEDERATED=(federatednamespace/demo federatedconfigmap/web-config federatedsecret/web-secret
  federatedservice/web federateddeployment/web)

# propagated: every federated object's Propagation condition True for its latest generation.
propagated() {
  local f
  for f in "${FEDERATED[@]}"; do
    k -n demo get "${f}" -o json | python3 -c '
import json, sys
o = json.load(sys.stdin)
st = o.get("status", {})
ok = any(c.get("type") == "Propagation" and c.get("status") == "True" for c in st.get("conditions", []))
sys.exit(0 if ok and st.get("observedGeneration", 0) >= o["metadata"]["generation"] else 1)' || return 1
  done
}
# in_members: every member holds every object, the Deployment Available.
in_members() {
  local m o
  for m in ${MEMBERS}; do
    for o in "${OBJECTS[@]}"; do kc "${m}" -n demo get "${o}" >/dev/null 2>&1 || return 1; done
    [[ "$(kc "${m}" -n demo get deployment/web -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" == True ]] || return 1
  done
}
until_ok "KubeFed propagates the five objects and reports Propagation True" 180 propagated \
  && until_ok "every member holds the five objects, the Deployment Available" 180 in_members \
  && ok "KubeFed propagated ${#OBJECTS[@]} objects to ${MEMBERS}(statuses True, Deployments Available)"

# snapshot FILE: "member object uid resourceVersion generation" for every member object.
snapshot() {
  local m o
  for m in ${MEMBERS}; do
    for o in "${OBJECTS[@]}"; do
      echo "${m} ${o} $(kc "${m}" -n demo get "${o}" -o jsonpath='{.metadata.uid} {.metadata.resourceVersion} {.metadata.generation}')"
    done
  done > "$1"
}

# compare BEFORE AFTER WHO [WRITTEN]: the same uids; no write (resourceVersion, or for the
# Deployment, whose status the member's controllers keep writing, generation) since BEFORE,
# except to the object WRITTEN (one the test changed on purpose).
compare() {
  local before=$1 after=$2 who=$3 written=${4:-} m o uid rv gen uid2 rv2 gen2 writes=0 replaced=0
  while read -r m o uid rv gen && read -r _ _ uid2 rv2 gen2 <&3; do
    [[ "${uid}" == "${uid2}" ]] || { fail "${who}: ${m} ${o} was recreated (uid ${uid} -> ${uid2})"; replaced=1; }
    if [[ "${o}" == "${written}" ]]; then
      continue
    elif [[ "${o}" == deployment/* ]]; then
      [[ "${gen}" == "${gen2}" ]] || { fail "${who}: ${m} ${o} written (generation ${gen} -> ${gen2})"; writes=1; }
    else
      [[ "${rv}" == "${rv2}" ]] || { fail "${who}: ${m} ${o} written (resourceVersion ${rv} -> ${rv2})"; writes=1; }
    fi
  done < "${before}" 3< "${after}"
  (( replaced )) || ok "${who}: every member object kept ($(wc -l < "${before}") objects, same uids)"
  (( writes )) || ok "${who}: no member write${written:+ but to ${written}} (resourceVersions and Deployment generations unchanged)"
}

# Drift and updates: a member's copy edited by hand is put back; a template change reaches every
# member and the federated status reports the new generation.
drift_and_update() {
  local who=$1 value=$2 m=${MEMBERS%% *}
  kc "${m}" -n demo patch configmap web-config --type merge -p '{"data":{"greeting":"drifted"}}' >/dev/null
  until_ok "${who}: ${m}'s edited ConfigMap put back" 120 \
    bash -c "[[ \"\$(\"${KFED_KUBE_BIN}/kubectl\" --kubeconfig '${KUBECONFIG_PATH}' --context '${m}' -n demo get configmap web-config -o jsonpath='{.data.greeting}')\" == hello ]]" \
    && ok "${who}: drift in ${m} undone"
  k -n demo patch federatedconfigmap web-config --type merge -p "{\"spec\":{\"template\":{\"data\":{\"color\":\"${value}\"}}}}" >/dev/null
  local want m2
  for m2 in ${MEMBERS}; do
    want="${value}"; [[ "${m2}" == member2 ]] && want=green  # member2's override keeps its color
    until_ok "${who}: ${m2} gets the updated template" 120 \
      bash -c "[[ \"\$(\"${KFED_KUBE_BIN}/kubectl\" --kubeconfig '${KUBECONFIG_PATH}' --context '${m2}' -n demo get configmap web-config -o jsonpath='{.data.color}')\" == ${want} ]]" || return
  done
  until_ok "${who}: the updated FederatedConfigMap reported Propagation True for its generation" 120 propagated \
    && ok "${who}: a template update propagated (color=${value}; member2's override kept) and its status reported"
}

# probed_after TIME: every KubeFedCluster probed (lastProbeTime) after TIME (RFC 3339).
probed_after() {
  local m t
  for m in ${MEMBERS}; do
    t="$(k -n "${KFED_NS}" get kubefedcluster "${m}" -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastProbeTime}')"
    [[ -n "${t}" && "${t}" > "$1" ]] || return 1
  done
}

snapshot "${LOGS}/kubefed.snapshot"

step "kfed started beside the running KubeFed (it must stand by), then KubeFed stopped"
VIEWER_TOKEN="$(KUBECTL="${KFED_KUBE_BIN}/kubectl" hack/viewer-token.sh --kubeconfig "${KUBECONFIG_PATH}" --context "${HOST}")" \
  || die "viewer token"
KFED_LOG="${LOGS}/kfed-controller-manager.log"
start_kfed "${KFED_LOG}"
# KubeFed's ConfigMap lock: its renewTime, from the leader annotation client-go writes.
kubefed_renew_time() {
  k -n "${KFED_NS}" get configmap kubefed-controller-manager \
    -o jsonpath='{.metadata.annotations.control-plane\.alpha\.kubernetes\.io/leader}' \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["renewTime"])'
}
renewed_since() { [[ "$(kubefed_renew_time)" > "$1" ]]; }
if until_ok "kfed sees KubeFed leading" 60 grep -q "the leader is" "${KFED_LOG}"; then
  seen="$(kubefed_renew_time)"
  # KubeFed renews its lock (every 5 s) while kfed campaigns; kfed must not lead meanwhile.
  if until_ok "KubeFed renews its lock while kfed campaigns" 60 renewed_since "${seen}" \
    && ! grep -q "promoted as leader" "${KFED_LOG}"; then
    ok "kfed stands by while KubeFed holds its ConfigMap lock (KubeFed renewed it; kfed did not lead)"
  else
    fail "kfed led while KubeFed held its lock (or KubeFed stopped renewing); see ${KFED_LOG}"
  fi
fi
stop_pid "${KUBEFED_PID}"; KUBEFED_PID=""
cutover="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# metric NAME: the sum of kfed's series NAME (0 while it has none: a family is rendered from
# its first series on); fails when /metrics does not answer with kfed's metrics (its
# kubefedcluster_total gauge, set once the cluster controller runs).
metric() {
  local body
  body="$(curl -sf -H "Authorization: Bearer ${VIEWER_TOKEN}" "http://127.0.0.1:${KFED_METRICS_PORT}/metrics")" \
    || return 1
  grep -q '^kubefedcluster_total' <<< "${body}" || return 1
  awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $NF } END { print s + 0 }' <<< "${body}"
}
# kfed has looked at every object once it published each one's status for every member.
kfed_saw_all() {
  curl -sf -H "Authorization: Bearer ${VIEWER_TOKEN}" "http://127.0.0.1:${KFED_METRICS_PORT}/api/v1/objects?namespace=demo" \
    | python3 -c '
import json, sys
want, members = int(sys.argv[1]), sys.argv[2].split()
objs = json.load(sys.stdin).get("objects", [])
seen = [o for o in objs if all(any(c.get("cluster") == m and c.get("state") == "Propagated" for c in o.get("clusters", [])) for m in members)]
sys.exit(0 if len(seen) >= want else 1)' "$(( ${#OBJECTS[@]} - 1 ))" "${MEMBERS}"
}
until_ok "kfed leads (KubeFed's locks expired) and reports every object Propagated in every member" 120 kfed_saw_all \
  && ok "kfed took over: every federated object Propagated in ${MEMBERS}in its status API"
until_ok "kfed probes the KubeFedClusters and writes their status" 60 probed_after "${cutover}" \
  && ok "kfed: KubeFedClusters probed, their status written by kfed after the switch"
snapshot "${LOGS}/kfed.snapshot"
compare "${LOGS}/kubefed.snapshot" "${LOGS}/kfed.snapshot" "KubeFed -> kfed"
writes="$(metric kfed_member_writes_total)" || writes="no answer from /metrics:"
[[ "${writes}" == 0 ]] && ok "kfed: kfed_member_writes_total 0 after the takeover" \
  || fail "kfed: ${writes} member writes after the takeover (kfed_member_writes_total)"
drift_and_update "kfed" red
# At rest again: nothing more written while kfed probes the members twice more (kfed writes a
# KubeFedCluster's status only when it changes, so its probes show in
# cluster_health_status_duration_seconds_count rather than in lastProbeTime).
writes="$(metric kfed_member_writes_total)"
snapshot "${LOGS}/kfed-acted.snapshot"
probes="$(metric cluster_health_status_duration_seconds_count)" || probes=0
probed_twice_more() {
  local n
  n="$(metric cluster_health_status_duration_seconds_count)" && (( ${n%.*} >= ${probes%.*} + 2 ))
}
until_ok "kfed probes the KubeFedClusters twice more" 60 probed_twice_more
snapshot "${LOGS}/kfed-rested.snapshot"
compare "${LOGS}/kfed-acted.snapshot" "${LOGS}/kfed-rested.snapshot" "kfed at rest"
writes_after="$(metric kfed_member_writes_total)"
[[ "${writes_after}" == "${writes}" ]] && ok "kfed at rest: kfed_member_writes_total stays at ${writes} (its writes for the drift and the update), nothing more" \
  || fail "kfed at rest: kfed_member_writes_total ${writes} -> ${writes_after}"

step "kfed stopped, KubeFed started again (the reverse)"
snapshot "${LOGS}/kfed-final.snapshot"
stop_pid "${KFED_PID}"; KFED_PID=""
cutover="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
start_kubefed
until_ok "KubeFed probes the KubeFedClusters again" 90 probed_after "${cutover}" \
  && ok "KubeFed: KubeFedCluster health probes continue"
# KubeFed's statuses were True already (kfed's); its acting shows in the drift it undoes.
drift_and_update "KubeFed" purple
snapshot "${LOGS}/kubefed-again.snapshot"
compare "${LOGS}/kfed-final.snapshot" "${LOGS}/kubefed-again.snapshot" "kfed -> KubeFed" configmap/web-config

(( KEEP )) && echo "clusters left running: KUBECONFIG=${KUBECONFIG_PATH}"
echo
if (( failed )); then echo "[migration] FAILED (logs: ${LOGS})"; exit 1; fi
echo "[migration] all checks passed"
