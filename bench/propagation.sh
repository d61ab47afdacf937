#!/usr/bin/env bash
# End-to-end propagation benchmark (issue 9): starts its own host + K member clusters (K=3
# unless --members; real kube-apiservers on loopback, private run directory under /tmp, own
# ports), installs kfed's CRDs, joins the members, starts kfed-controller-manager (an optimized
# build) and measures (below with K=3):
#   0. the user's writes alone: before the controller starts, the same kubectl creates as the
#      cold start (into a scratch namespace, removed again): the cold start's own creates,
#      made while the controller runs, are compared with them (the user's share of the host).
#   1. cold start: N FederatedConfigMaps and N FederatedDeployments placed on all 3 members,
#      until every member copy exists, every status has Propagation=True and every
#      PropagatedVersion names the 3 members (at rest); after each, a bare parallel writer
#      (//bench:propagation_bench, kfed's own client, same per-member parallelism and QPS
#      limit) creates the same 3N objects directly: kfed/bare throughput.
#   2. sustained change: template updates at a fixed rate (--rate, default 50/s) for
#      --sustain seconds; latency from the host's answer to the member's watch event, p50/p99.
#   3. drift revert: M member copies edited at random, one at a time; latency until reverted.
#   4. memory: controller RSS against the bytes of the objects its caches hold (host and
#      members, compact JSON as served by the apiservers).
#   5. idle: controller CPU and member writes over IDLE seconds with everything at rest.
#   6. isolation: member3's apiserver stopped, scenario 2 again: member1/member2 p99 compared
#      (with K members: memberK stopped, the others compared; none with K=1).
# CPU seconds of every apiserver, etcd and the controller are sampled around each phase, so a
# missed target names what was busy. Appends a table to docs/benchmarks.md
# ("## propagation (end to end)") unless --no-record.
#
# Usage: bench/propagation.sh [--smoke] [--n N] [--drifts M] [--idle SECONDS] [--rate R]
#          [--sustain SECONDS] [--no-deployments] [--no-record] [--profile DIR]
#          [--members K] [--nodes M] [--no-isolation]
#          [--controller kfed|kubefed|both] [--kubefed-flags 'FLAGS'] [-- CONTROLLER_FLAGS...]
#   --members K       member clusters (default 3): the placements, the bare writer, the
#                     per-member figures and the isolation phase follow K; bench/member-scaling.sh
#                     runs this for several K
#   --nodes M         kwok Nodes per member (default 0: no scheduler, no kwok, the minimal
#                     controller set, as when the recorded figures were taken)
#   --no-isolation    skip phase 6
#   --controller C    the controller under test: kfed (default), kubefed (KubeFed v0.10.0's
#                     controller-manager, built by ../shared/peers/build-kubefed.sh, against the
#                     same CRDs, joins and FederatedTypeConfigs), or both: kfed, then KubeFed,
#                     each on fresh clusters, and one table with kfed/KubeFed per scenario.
#                     Completion is detected the same way for both: member copies counted by
#                     listing the members (label kubefed.io/managed=true), statuses read from
#                     the host, member writes from the member apiservers' request counters.
#   --kubefed-flags 'FLAGS'  extra KubeFed controller-manager flags (word-split; e.g.
#                     '--rest-config-qps 20 --rest-config-burst 30'); CONTROLLER_FLAGS after
#                     -- go to kfed only
#   --kubefed-drifts M  drift edits when KubeFed runs (20; 3 with --smoke): KubeFed reverts a
#                     drift only after its 10 s member-event delay, so 200 would take 30 min
#   --smoke           N=20, M=10, idle 10 s, 10 s at 20/s, no Deployments (about 3 minutes);
#                     hack/test.sh runs it (with --no-record) to keep the harness working
#   --no-deployments  cold-start only the ConfigMaps
#   --profile DIR     perf samples (call graphs) the controller, etcd and every apiserver during
#                     the ConfigMap cold start, the sustained phase, the idle window and the
#                     isolation phase;
#                     reports in DIR/<phase>.*.txt (CPU by process, the controller's hottest
#                     functions and call chains). Implies --no-record.
#   --heap-profile DIR  the controller runs under heaptrack; after the idle window it is
#                     killed, so heaptrack's "leaked" allocations are its heap at rest
#                     (DIR/heap-at-rest.txt; peaks in DIR/heap-peaks.txt); no isolation phase.
#                     Implies --no-record (heaptrack slows every allocation).
# Environment: KFED_BENCH_CONTROLLER_LOG, where the controller's log is copied at the end
# (default /tmp/kfed-bench-controller.log).
# Not part of the timed test run: the figures belong in docs/benchmarks.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
N=1000
DRIFTS=200
IDLE=60
RATE=50
SUSTAIN=30
DEPLOYMENTS=1
RECORD=1
SMOKE=0
PROFILE=""
HEAP_PROFILE=""
CONTROLLER_FLAGS=()
CONTROLLER_KIND=kfed
KUBEFED_FLAGS=""
KUBEFED_DRIFTS=""
RESULTS_FILE=""
MEMBER_COUNT=3
NODES=0
ISOLATION=1
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) SMOKE=1; N=20; DRIFTS=10; IDLE=10; RATE=20; SUSTAIN=10; DEPLOYMENTS=0; shift ;;
    --rate) RATE="$2"; shift 2 ;;
    --sustain) SUSTAIN="$2"; shift 2 ;;
    --no-deployments) DEPLOYMENTS=0; shift ;;
    --n) N="$2"; shift 2 ;;
    --drifts) DRIFTS="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --deployments) DEPLOYMENTS=1; shift ;;
    --no-record) RECORD=0; shift ;;
    --profile) PROFILE="$(mkdir -p "$2" && cd "$2" && pwd)"; RECORD=0; shift 2 ;;
    --heap-profile) HEAP_PROFILE="$(mkdir -p "$2" && cd "$2" && pwd)"; RECORD=0; shift 2 ;;
    --controller) CONTROLLER_KIND="$2"; shift 2 ;;
    --kubefed-flags) KUBEFED_FLAGS="$2"; shift 2 ;;
    --kubefed-drifts) KUBEFED_DRIFTS="$2"; shift 2 ;;
    --members) MEMBER_COUNT="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --no-isolation) ISOLATION=0; shift ;;
    # internal: "key<TAB>label<TAB>value" figures, for --controller both and member-scaling.sh
    --results) RESULTS_FILE="$2"; shift 2 ;;
    --) shift; CONTROLLER_FLAGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo pipefail/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

case "${CONTROLLER_KIND}" in
  kfed|kubefed|both) ;;
  *) echo "--controller must be kfed, kubefed or both (got ${CONTROLLER_KIND})" >&2; exit 2 ;;
esac
[[ ${MEMBER_COUNT} =~ ^[1-9][0-9]*$ ]] || { echo "--members takes a number of at least 1 (got ${MEMBER_COUNT})" >&2; exit 2; }
[[ ${NODES} =~ ^[0-9]+$ ]] || { echo "--nodes takes a number (got ${NODES})" >&2; exit 2; }
if [[ ${CONTROLLER_KIND} != kfed && -n ${HEAP_PROFILE} ]]; then
  echo "--heap-profile is kfed only" >&2; exit 2
fi

# --controller both: this script twice, kfed then KubeFed, each on its own fresh clusters; each
# run writes its figures as "key<TAB>label<TAB>value" lines, joined here into one table.
if [[ ${CONTROLLER_KIND} == both ]]; then
  both_dir="$(mktemp -d /tmp/kfed-bench-both.XXXXXX)"
  # The caller's arguments without --controller/--results, ours before any "-- FLAGS".
  opts=() tail=()
  for ((i = 0; i < ${#ARGS[@]}; i++)); do
    case "${ARGS[i]}" in
      --controller|--results) i=$((i + 1)) ;;
      --) tail=("${ARGS[@]:i}"); break ;;
      *) opts+=("${ARGS[i]}") ;;
    esac
  done
  for c in kfed kubefed; do
    echo "[bench $(date +%T)] === ${c} ===" >&2
    "$0" "${opts[@]}" --no-record --controller "${c}" --results "${both_dir}/${c}.tsv" "${tail[@]}" \
      >"${both_dir}/${c}.out" || { cat "${both_dir}/${c}.out"; echo "${c} run failed (figures so far in ${both_dir})" >&2; exit 1; }
  done
  rows=$(awk -F'\t' '
    FILENAME ~ /kubefed.tsv$/ {peer[$1] = $3; next}
    $1 == "n" || $2 == "" {next}
    {order[++n] = $1; label[$1] = $2; mine[$1] = $3}
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]; a = mine[k]; b = (k in peer) ? peer[k] : "n/a"
        r = (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) ? sprintf(a / b < 0.1 ? "%.2g" : "%.2f", a / b) : "n/a"
        if (k == "drift-n") r = "-"
        printf "| %s | %s | %s | %s |\n", label[k], a, b, r
      }
    }' "${both_dir}/kubefed.tsv" "${both_dir}/kfed.tsv")
  first_arg() { sed -n "s/^$1\t//p" "${both_dir}/kfed.tsv" | cut -f2 | head -1; }
  TABLE="$(cat <<EOF

### $(date -u +%Y-%m-%d) kfed and KubeFed v0.10.0 side by side, N=$(first_arg n), $( [[ $(first_arg members) != 3 ]] && echo "$(first_arg members) members, ")kfed $(git rev-parse --short HEAD)

Machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), load average
$(cut -d' ' -f1-3 /proc/loadavg) at the end; each controller on fresh clusters, one after the other;
kfed flags: ${CONTROLLER_FLAGS[*]:-defaults}; KubeFed flags: ${KUBEFED_FLAGS:-defaults}. Every figure: lower is
better; completion detected the same way for both (member lists, host statuses, apiserver request
counters); n/a: not measurable for that controller.

| scenario | kfed | KubeFed v0.10.0 | kfed / KubeFed |
| --- | --- | --- | --- |
${rows}

The full per-controller tables: ${both_dir}/kfed.out, ${both_dir}/kubefed.out.
EOF
)"
  echo "${TABLE}"
  if [[ ${RECORD} == 1 ]]; then
    grep -q '^## propagation (end to end)' docs/benchmarks.md || printf '\n## propagation (end to end)\n' >>docs/benchmarks.md
    echo "${TABLE}" >>docs/benchmarks.md
    echo "[bench $(date +%T)] appended to docs/benchmarks.md" >&2
  fi
  exit 0
fi
# result KEY LABEL VALUE: one figure for --controller both (lower is better; "n/a" if none).
result() {
  [[ -n ${RESULTS_FILE} ]] || return 0
  printf '%s\t%s\t%s\n' "$1" "$2" "${3:-n/a}" >>"${RESULTS_FILE}"
}
# info KEY VALUE: a figure for bench/member-scaling.sh only (no label: not a row of the
# --controller both table).
info() { result "$1" "" "$2"; }
if [[ ${CONTROLLER_KIND} == kubefed ]]; then
  CTRL_NAME=KubeFed
  [[ -n ${KUBEFED_DRIFTS} ]] || { [[ ${SMOKE} == 1 ]] && KUBEFED_DRIFTS=3 || KUBEFED_DRIFTS=20; }
  DRIFTS=${KUBEFED_DRIFTS}
else
  CTRL_NAME=kfed
fi
result n "N" "${N}"

KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
export KFED_CACHE
KFED_KUBE_BIN="${KFED_KUBE_BIN:-$(hack/kube-binaries.sh)}"
export KFED_KUBE_BIN
RUN_DIR="$(mktemp -d /tmp/kfed-bench.XXXXXX)"
export KFED_RUN_DIR="${RUN_DIR}/clusters"
NS=kube-federation-system
BNS=bench
log() { echo "[bench $(date +%T)] $*" >&2; }

CONTROLLER_PID=""
cleanup() {
  if [[ -n "${CONTROLLER_PID}" ]] && kill -0 "${CONTROLLER_PID}" 2>/dev/null; then
    kill -TERM "${CONTROLLER_PID}" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "${CONTROLLER_PID}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${CONTROLLER_PID}" 2>/dev/null || true
  fi
  hack/local-clusters.sh down >/dev/null 2>&1 || true
  # The controller's log outlives the run (for a result that needs explaining).
  cp "${RUN_DIR}/controller.log" "${KFED_BENCH_CONTROLLER_LOG:-/tmp/kfed-bench-controller.log}" 2>/dev/null || true
  rm -rf "${RUN_DIR}"
}
trap cleanup EXIT

log "build"
bazel build -c opt --disk_cache="${KFED_CACHE}/bazel-disk" \
  //controller:kfed-controller-manager //bench:propagation_bench 2>/dev/null
OPT_BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"
CONTROLLER="${OPT_BIN}/controller/kfed-controller-manager"
if [[ ${CONTROLLER_KIND} == kubefed ]]; then
  # Built once (about 5 minutes), then cached: prints the directory of its binaries.
  PEERS="${KFED_PEERS_DIR:-${REPO}/../shared/peers}"
  if [[ -x "${PEERS}/build-kubefed.sh" ]]; then
    CONTROLLER="$("${PEERS}/build-kubefed.sh" | tail -1)/controller-manager"
  else  # a clone without ../shared/peers beside it: the cached build (build-kubefed.sh's cache)
    CONTROLLER="${KFED_CACHE:-${HOME}/.cache/kfed}/peers/kubefed-0.10.0/bin/controller-manager"
  fi
  [[ -x ${CONTROLLER} ]] || { echo "no KubeFed controller-manager at ${CONTROLLER}" >&2; exit 1; }
fi
WRITER="${OPT_BIN}/bench/propagation_bench"

MEMBERS=()
for i in $(seq 1 "${MEMBER_COUNT}"); do MEMBERS+=("member${i}"); done
CONTEXTS=$(IFS=,; echo "${MEMBERS[*]}")  # member1,member2,...
MEMBERS_TEXT="${MEMBER_COUNT} member$( (( MEMBER_COUNT == 1 )) || echo s)"  # "3 members", "1 member"
# The placement of every benchmark object: each member by name.
PLACEMENT="placement: {clusters: [$(printf '{name: %s}, ' "${MEMBERS[@]}" | sed 's/, $//')]}"

log "start host + ${MEMBERS_TEXT} in ${KFED_RUN_DIR}"
# --nodes 0 (default): members without scheduler, kwok and workload controllers, as when the
# recorded figures were taken; with them, N Deployments would also mean N ReplicaSets and Pods
# per member.
# Up to 5 tries: on a loaded machine a kube-controller-manager can give up (10 s) before its
# apiserver has bootstrapped RBAC ("cannot get path /healthz"), and then `up` fails.
# Every apiserver boots at once: with many members each takes longer to be ready than the
# launcher's default 180 s allows.
(( MEMBER_COUNT > 9 )) && export KFED_START_TIMEOUT="${KFED_START_TIMEOUT:-$((20 * MEMBER_COUNT))}"
for try in 1 2 3 4 5; do
  hack/local-clusters.sh up --members "${MEMBER_COUNT}" --nodes "${NODES}" >"${RUN_DIR}/clusters-up.log" 2>&1 && break
  tail -3 "${RUN_DIR}/clusters-up.log" >&2
  (( try < 5 )) || exit 1
  log "clusters did not come up; again"
  hack/local-clusters.sh down >/dev/null 2>&1 || true
  rm -rf "${KFED_RUN_DIR}"
done
KCFG="$(hack/local-clusters.sh kubeconfig)"
k() { "${KFED_KUBE_BIN}/kubectl" --kubeconfig "${KCFG}" "$@"; }
# Host apiserver 409 answers (Conflict: a stale resourceVersion; AlreadyExists) by
# resource[/subresource], any verb, as "resource count" lines: writes that were bound to fail.
host_conflicts() {
  k --context host get --raw /metrics 2>/dev/null |
    awk '/^apiserver_request_total\{/ && /code="409"/ {
           match($0, /resource="[^"]*"/); r = substr($0, RSTART + 10, RLENGTH - 11);
           sr = ""; if (match($0, /subresource="[^"]*"/)) sr = substr($0, RSTART + 13, RLENGTH - 14);
           if (sr != "") r = r "/" sr; n[r] += $NF}
         END {for (r in n) print r, n[r]}' | sort
}
# "N (res=N ...)" 409s between two host_conflicts snapshots.
host_conflicts_delta() {
  join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$1") <(echo "$2") |
    awk '{d = $3 - $2; t += d; if (d > 0) s = s sprintf("%s=%d ", $1, d)} END {printf "%d", t; if (s != "") printf " (%s)", substr(s, 1, length(s) - 1)}'
}

log "install CRDs, join members"
k --context host apply --server-side --force-conflicts -f federated_types/crds/ >/dev/null
k --context host create namespace "${NS}" >/dev/null 2>&1
k --context host apply --server-side --force-conflicts -n "${NS}" -f federated_types/crds/generated/ >/dev/null
KUBECTL="${KFED_KUBE_BIN}/kubectl" hack/join-local.sh --kubeconfig "${KCFG}" "${MEMBERS[@]}" >/dev/null
# The KubeFedConfig both controllers read: the values of KubeFed's Helm chart (and kfed's,
# config/deploy/kfed.yaml). KubeFed runs without its webhook here, and the one it would create
# itself when none exists has an empty scope, which the CRD rejects.
KUBEFED_CONFIG="$(cat <<EOF
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: kubefed, namespace: ${NS}}
spec:
  scope: Cluster
  controllerDuration: {availableDelay: 20s, unavailableDelay: 60s, cacheSyncTimeout: 5m}
  leaderElect: {leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 5s, resourceLock: configmaps}
  clusterHealthCheck: {period: 10s, failureThreshold: 3, successThreshold: 1, timeout: 3s}
  syncController: {maxConcurrentReconciles: 1, adoptResources: Enabled}
  statusController: {maxConcurrentReconciles: 1}
  featureGates:
  - {name: PushReconciler, configuration: Enabled}
  - {name: RawResourceStatusCollection, configuration: Disabled}
  - {name: SchedulerPreferences, configuration: Enabled}
EOF
)"
# Right after the CRDs the apiserver may answer 503 "Resource kind ... not found" for a short
# while, even once they are Established: retried for up to a minute.
for try in $(seq 1 60); do
  k --context host apply -f - >/dev/null 2>"${RUN_DIR}/kubefedconfig-apply.err" <<<"${KUBEFED_CONFIG}" && break
  (( try < 60 )) || { cat "${RUN_DIR}/kubefedconfig-apply.err" >&2; echo "applying the KubeFedConfig failed" >&2; exit 1; }
  sleep 1
done

free_port() { local p=$1; while ss -Htln "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
METRICS_PORT=$(free_port 19190)
HEALTHZ_PORT=$(free_port $((METRICS_PORT + 1)))
# Whatever the joins got (none expected): the run's 409 count starts here.
HC_START=$(host_conflicts)
# gen_objects FKIND NAMESPACE DIR: N federated objects placed on the K members, split into
# DIR/part-{0..3}.yaml for 4 parallel kubectl processes (the user's side).
gen_objects() {
  local fkind=$1 ns=$2 gen=$3
  rm -rf "${gen}"
  mkdir -p "${gen}"
  for i in $(seq 0 $((N - 1))); do
    if [[ ${fkind} == FederatedConfigMap ]]; then
      printf -- '---\napiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata: {name: cm-%d, namespace: %s}\nspec:\n  template: {metadata: {labels: {app: bench}}, data: {key: value-%d}}\n  %s\n' "$i" "${ns}" "$i" "${PLACEMENT}"
    else
      printf -- '---\napiVersion: types.kubefed.io/v1beta1\nkind: FederatedDeployment\nmetadata: {name: dep-%d, namespace: %s}\nspec:\n  template:\n    metadata: {labels: {app: bench}}\n    spec: {replicas: 1, selector: {matchLabels: {app: dep-%d}}, template: {metadata: {labels: {app: dep-%d}}, spec: {containers: [{name: c, image: "registry.k8s.io/pause:3.9"}]}}}\n  %s\n' "$i" "${ns}" "$i" "$i" "${PLACEMENT}"
    fi >>"${gen}/part-$((i % 4)).yaml"
  done
}

# --- 0. the user's writes with no controller running ------------------------------------------
# The same kubectl creates as the cold start, into a scratch namespace before the controller
# starts, then removed: what the cold start's "user's create" is compared with (issue 21: the
# controller may slow the user's own host writes by at most 20%).
declare -A USER_ALONE
user_alone() {
  local fkind=$1 plural t0 t1 writers=()
  plural="$(tr '[:upper:]' '[:lower:]' <<<"${fkind}")s"
  gen_objects "${fkind}" bench-alone "${RUN_DIR}/alone-${fkind}"
  t0=$(now)
  for p in "${RUN_DIR}/alone-${fkind}"/part-*.yaml; do k --context host create -f "$p" >/dev/null & writers+=($!); done
  wait "${writers[@]}"
  t1=$(now)
  USER_ALONE[${fkind}]=$(awk -v a="${t0}" -v b="${t1}" 'BEGIN {printf "%.2f", b - a}')
  log "the user's create of ${N} ${fkind}s with no controller running: ${USER_ALONE[${fkind}]} s"
  # One DeleteCollection (kubectl delete --all deletes and waits one object at a time).
  k --context host delete --raw "/apis/types.kubefed.io/v1beta1/namespaces/bench-alone/${plural}" >/dev/null
}
now() { date +%s.%N; }
k --context host create namespace bench-alone >/dev/null
user_alone FederatedConfigMap
[[ ${DEPLOYMENTS} == 1 ]] && user_alone FederatedDeployment
k --context host delete namespace bench-alone --wait=false >/dev/null

if [[ ${CONTROLLER_KIND} == kubefed ]]; then CTRL_FLAGS_TEXT="${KUBEFED_FLAGS}"; else CTRL_FLAGS_TEXT="${CONTROLLER_FLAGS[*]:-}"; fi
log "start ${CTRL_NAME} controller-manager (metrics :${METRICS_PORT}) ${CTRL_FLAGS_TEXT}"
WRAP=()
[[ -n ${HEAP_PROFILE} ]] && WRAP=(heaptrack -o "${HEAP_PROFILE}/heaptrack.controller")
# /metrics needs a bearer token the host's RBAC allows; plain HTTP on loopback is enough here.
VIEWER_TOKEN="$(KUBECTL="${KFED_KUBE_BIN}/kubectl" hack/viewer-token.sh --kubeconfig "${KCFG}" --namespace "${NS}")"
if [[ ${CONTROLLER_KIND} == kubefed ]]; then
  # KubeFed has no --context: a kubeconfig holding only the host. No webhook: the KubeFedConfig
  # it creates at start gets the CRD's defaults. Its metrics and healthz on loopback.
  k config view --raw --minify --context host >"${RUN_DIR}/host.kubeconfig"
  # shellcheck disable=SC2086  # --kubefed-flags is word-split on purpose
  setsid "${CONTROLLER}" --kubeconfig "${RUN_DIR}/host.kubeconfig" --kubefed-namespace "${NS}" \
    --metrics-addr "127.0.0.1:${METRICS_PORT}" --healthz-addr "127.0.0.1:${HEALTHZ_PORT}" \
    ${KUBEFED_FLAGS} >"${RUN_DIR}/controller.log" 2>&1 </dev/null &
else
  setsid "${WRAP[@]}" "${CONTROLLER}" --kubeconfig "${KCFG}" --context host --kubefed-namespace "${NS}" \
    --metrics-addr "127.0.0.1:${METRICS_PORT}" --healthz-addr "127.0.0.1:${HEALTHZ_PORT}" \
    --status-addr 127.0.0.1:0 --insecure-local "${CONTROLLER_FLAGS[@]}" >"${RUN_DIR}/controller.log" 2>&1 </dev/null &
fi
CONTROLLER_PID=$!
if [[ -n ${HEAP_PROFILE} ]]; then
  # heaptrack runs the controller as its child: measure and kill that process.
  WRAPPER_PID=${CONTROLLER_PID}
  for _ in $(seq 1 100); do
    for p in $(pgrep -x kfed-controller || true); do
      grep -qa -- "127.0.0.1:${METRICS_PORT}" "/proc/$p/cmdline" 2>/dev/null && CONTROLLER_PID=$p
    done
    [[ ${CONTROLLER_PID} != "${WRAPPER_PID}" ]] && break
    sleep 0.1
  done
  log "heap profile: controller pid ${CONTROLLER_PID} under heaptrack (pid ${WRAPPER_PID}), reports in ${HEAP_PROFILE}"
fi
# perf_start NAME: samples the controller, etcd and the apiservers (call graphs) until perf_stop.
PERF_PID=""
perf_start() {
  [[ -n ${PROFILE} ]] || return 0
  local pids
  pids=$(procs | while read -r _ pid; do kill -0 "${pid}" 2>/dev/null && echo "${pid}"; done | paste -sd,)
  perf record -F 199 --call-graph dwarf,16384 -p "${pids}" -o "${PROFILE}/$1.perf.data" \
    >"${PROFILE}/$1.perf.log" 2>&1 &
  PERF_PID=$!
  PERF_NAME=$1
}
perf_stop() {
  [[ -n ${PERF_PID} ]] || return 0
  kill -INT "${PERF_PID}" 2>/dev/null || true
  wait "${PERF_PID}" 2>/dev/null || true
  PERF_PID=""
  local data="${PROFILE}/${PERF_NAME}.perf.data" out="${PROFILE}/${PERF_NAME}"
  # Samples per process (perf's pid column holds thread ids), named as procs() names them.
  perf script -i "${data}" -F pid 2>/dev/null | sort | uniq -c |
    awk 'NR == FNR {name[$2] = $1; next} {n[name[$2] ? name[$2] : "other"] += $1; t += $1}
         END {for (k in n) printf "%6.1f%%  %s\n", 100 * n[k] / t, k}' <(procs) - |
    sort -rn >"${out}.by-process.txt" || true
  # The controller alone: hottest functions (self) and call chains (children), relative.
  local report=(perf report -i "${data}" --comm kfed-controller --percentage relative --stdio -g none)
  "${report[@]}" --no-children --sort dso,symbol --percent-limit 0.5 2>/dev/null |
    grep -v '^#' | grep -v '^$' | sed 's/  */ /g; s/ - - *$//' >"${out}.controller-self.txt" || true
  "${report[@]}" --children --sort symbol --percent-limit 2 2>/dev/null |
    grep -v '^#' | grep -v '^$' | sed 's/  */ /g; s/ - - *$//' >"${out}.controller-children.txt" || true
  log "  perf: ${PROFILE}/${PERF_NAME}.*.txt"
}
for _ in $(seq 1 150); do
  curl -sf "http://127.0.0.1:${HEALTHZ_PORT}/healthz" >/dev/null 2>&1 && break
  kill -0 "${CONTROLLER_PID}" || { tail -20 "${RUN_DIR}/controller.log" >&2; exit 1; }
  sleep 0.2
done
for m in "${MEMBERS[@]}"; do
  k --context host -n "${NS}" wait --for=condition=Ready --timeout=60s "kubefedcluster/${m}" >/dev/null
done

metrics() { curl -sf -H "Authorization: Bearer ${VIEWER_TOKEN}" "http://127.0.0.1:${METRICS_PORT}/metrics"; }
# Controller-agnostic progress, the same for kfed and KubeFed: nothing here reads the
# controller's own metrics.
# member_copies RES: managed copies of RES (configmaps | deployments.apps) in the bench
# namespace of every member, from a list per member (in parallel) holding only the managed
# ones (apiservers give no remainingItemCount for label-selected lists, so the whole list).
member_copies() {
  local path
  case "$1" in
    configmaps) path="/api/v1/namespaces/${BNS}/configmaps" ;;
    deployments.apps) path="/apis/apps/v1/namespaces/${BNS}/deployments" ;;
  esac
  for m in "${MEMBERS[@]}"; do
    k --context "$m" get --raw "${path}?labelSelector=kubefed.io%2Fmanaged%3Dtrue" |
      grep -o '"kubefed.io/managed":"true"' | wc -l &
  done | awk '{s += $1} END {printf "%d\n", s}'
}
# member_writes [MEMBER...]: write requests (POST/PUT/PATCH/DELETE) the members' apiservers
# have answered (apiserver_request_total), all members by default; Leases (the apiservers'
# own identity leases) and reviews (authentication of requests) not counted.
member_writes() {
  local ms=("$@")
  [[ ${#ms[@]} -gt 0 ]] || ms=("${MEMBERS[@]}")
  for m in "${ms[@]}"; do k --context "$m" get --raw /metrics 2>/dev/null; done |
    awk '/^apiserver_request_total\{/ && /verb="(POST|PUT|PATCH|DELETE)"/ &&
         !/resource="(leases|tokenreviews|subjectaccessreviews)"/ {s += $NF} END {printf "%d\n", s}'
}
# CPU seconds (utime + stime) of one pid.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_mib() { awk '/VmRSS/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
# One /proc/<controller>/status field in MiB (RssAnon: heap and stacks; RssFile: mapped code).
mib_of() { awk -v f="$1:" '$1 == f {printf "%.1f", $2 / 1024}' "/proc/${CONTROLLER_PID}/status"; }
# "name pid" for the controller, etcd and each apiserver.
procs() {
  echo "controller ${CONTROLLER_PID}"
  echo "etcd $(cat "${KFED_RUN_DIR}/etcd/pid")"
  # A stopped member (isolation) has no pid file.
  for c in host "${MEMBERS[@]}"; do
    [[ -f "${KFED_RUN_DIR}/${c}/apiserver.pid" ]] && echo "apiserver-${c} $(cat "${KFED_RUN_DIR}/${c}/apiserver.pid")"
  done
  return 0
}
cpu_snapshot() { procs | while read -r name pid; do echo "${name} $(cpu_of "${pid}")"; done; }
# CPU use between two snapshots as "name=NN% ..." (percent of one core over `secs`).
cpu_report() {
  local before=$1 after=$2 secs=$3
  join <(sort <<<"${before}") <(sort <<<"${after}") |
    awk -v s="${secs}" '{printf "%s=%.0f%% ", $1, 100 * ($3 - $2) / s}'
}
RSS0=$(rss_mib "${CONTROLLER_PID}")
RSS0_PARTS="anonymous $(mib_of RssAnon) MiB, files $(mib_of RssFile) MiB"
info members "${MEMBER_COUNT}"
info rss0 "${RSS0}"
info threads0 "$(threads_of "${CONTROLLER_PID}")"
# passes TYPE: kfed's reconciles of TYPE (configmaps | deployments.apps) so far, as "host
# member": passes of the type's host pool (sync-TYPE) and of its member pools
# (sync-TYPE@<member>), summed. "0 0" for KubeFed.
passes() {
  [[ ${CONTROLLER_KIND} == kfed ]] || { echo "0 0"; return 0; }
  { metrics || true; } | awk -v host="controller=\"sync-$1\"" -v member="controller=\"sync-$1@" '
    /^controller_runtime_reconcile_total\{/ {
      if (index($0, host)) h += $NF; else if (index($0, member)) m += $NF}
    END {printf "%d %d\n", h, m}'
}
# passes_per BEFORE AFTER HOST_UNITS MEMBER_UNITS: "H M", host passes per HOST_UNITS and member
# passes per MEMBER_UNITS between two passes snapshots.
passes_per() {
  awk -v a="$1" -v b="$2" -v hu="$3" -v mu="$4" 'BEGIN {split(a, x, " "); split(b, y, " ");
    printf "%.2f %.2f\n", (hu > 0) ? (y[1] - x[1]) / hu : 0, (mu > 0) ? (y[2] - x[2]) / mu : 0}'
}

k --context host create namespace "${BNS}" >/dev/null
cat <<EOF | k --context host apply -f - >/dev/null
apiVersion: types.kubefed.io/v1beta1
kind: FederatedNamespace
metadata: {name: ${BNS}, namespace: ${BNS}}
spec: {placement: {clusterSelector: {}}}
EOF
for m in "${MEMBERS[@]}"; do
  for _ in $(seq 1 100); do k --context "$m" get namespace "${BNS}" >/dev/null 2>&1 && break; sleep 0.1; done
  k --context "$m" create namespace bench-bare >/dev/null
done

# Host apiserver write requests (POST/PUT/PATCH/DELETE) by resource[/subresource], from its
# apiserver_request_total, as "resource count" lines.
host_writes() {
  k --context host get --raw /metrics 2>/dev/null |
    awk '/^apiserver_request_total\{/ && /verb="(POST|PUT|PATCH|DELETE)"/ {
           match($0, /resource="[^"]*"/); r = substr($0, RSTART + 10, RLENGTH - 11);
           sr = ""; if (match($0, /subresource="[^"]*"/)) sr = substr($0, RSTART + 13, RLENGTH - 14);
           if (sr != "") r = r "/" sr; n[r] += $NF}
         END {for (r in n) print r, n[r]}' | sort
}
# "res=N ..." per federated object between two host_writes snapshots (resources with ≥ 0.05).
host_writes_per_object() {
  join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$1") <(echo "$2") |
    awk -v n="$3" '{d = ($3 - $2) / n; t += d; if (d >= 0.05) s = s sprintf("%s=%.2f ", $1, d)} END {printf "%.2f host writes per object: %s", t, s}'
}

# statuses_true PLURAL: how many federated objects of PLURAL in the benchmark namespace have
# Propagation=True.
statuses_true() {
  k --context host -n "${BNS}" get "$1" \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Propagation")].status}{"\n"}{end}' \
    | grep -c True || true
}

# records_complete KIND: how many PropagatedVersions of target KIND ("configmap-<name>") in
# the benchmark namespace name all K members.
records_complete() {
  k --context host -n "${BNS}" get propagatedversions \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.clusterVersions[*].clusterName}{"\n"}{end}' \
    | awk -v p="$1-" -v k="${MEMBER_COUNT}" 'index($1, p) == 1 && NF == k + 1' | wc -l
}

# wait_for_count FKIND WHAT DEADLINE COMMAND...: runs COMMAND (which prints a count) every
# 0.2 s until it prints N or more, logging "  FKIND: count/N WHAT" every 10 s; 1 (logged) once
# SECONDS reaches DEADLINE.
wait_for_count() {
  local fkind=$1 what=$2 deadline=$3 count next_report=$((SECONDS + 10))
  shift 3
  while count=$("$@"); (( count < N )); do
    (( SECONDS < deadline )) || { log "timeout waiting for ${what} (${count}/${N})"; return 1; }
    if (( SECONDS >= next_report )); then
      log "  ${fkind}: ${count}/${N} ${what}"
      next_report=$((SECONDS + 10))
    fi
    sleep 0.2
  done
}

# --- 1. cold start ------------------------------------------------------------------------
# $1: FederatedConfigMap | FederatedDeployment. Writes the host objects in 4 parallel kubectl
# processes (the user's side), then waits for KN member creates, N Propagation=True and N
# complete PropagatedVersions.
cold_start() {
  local fkind=$1 plural kind member_res
  case "${fkind}" in
    FederatedConfigMap) plural=federatedconfigmaps; kind=configmap; member_res=configmaps ;;
    FederatedDeployment) plural=federateddeployments; kind=deployment; member_res=deployments.apps ;;
  esac
  local gen="${RUN_DIR}/${kind}"
  gen_objects "${fkind}" "${BNS}" "${gen}"
  local t0 t_host t_members t_status cpu0 cpu1
  local hw0 hw1 hc0 hc1 passes0 passes1
  hw0=$(host_writes)
  hc0=$(host_conflicts)
  passes0=$(passes "${member_res}")
  cpu0=$(cpu_snapshot)
  [[ ${fkind} == FederatedConfigMap ]] && perf_start cold-start-configmaps
  t0=$(now)
  local writers=()
  for p in "${gen}"/part-*.yaml; do k --context host create -f "$p" >/dev/null & writers+=($!); done
  wait "${writers[@]}"
  t_host=$(now)
  local deadline=$((SECONDS + 1800))
  local next_report=$((SECONDS + 10)) copies round
  # Member copies counted by listing the members (a list per member and round, about 0.1-0.3 s
  # apart): the same for both controllers. Up to 3 members the rounds run back to back, as
  # when the recorded figures were taken (10-30 lists a second); with more, one starts at most
  # every K/15 s (15 lists a second), so that the observer's kubectl processes and lists do
  # not grow with K and take the machine from the system under test.
  while round=$(now); copies=$(member_copies "${member_res}"); (( copies < MEMBER_COUNT * N )); do
    (( SECONDS < deadline )) || { log "timeout waiting for member copies (${copies}/$((MEMBER_COUNT * N)))"; return 1; }
    if (( SECONDS >= next_report )); then
      log "  ${fkind}: ${copies}/$((MEMBER_COUNT * N)) member copies"
      next_report=$((SECONDS + 10))
    fi
    if (( MEMBER_COUNT > 3 )); then
      sleep "$(awk -v r="${round}" -v t="$(now)" -v k="${MEMBER_COUNT}" 'BEGIN {d = k / 15 - (t - r); print (d > 0) ? d : 0}')"
    fi
  done
  t_members=$(now)
  cpu1=$(cpu_snapshot)
  perf_stop
  wait_for_count "${fkind}" "Propagation=True" "${deadline}" statuses_true "${plural}" || return 1
  t_status=$(now)
  hw1=$(host_writes)
  hc1=$(host_conflicts)
  # Then the PropagatedVersion records (what was written where, for a restart): kfed writes
  # them after the statuses at low priority, KubeFed with them. At rest includes them, so the
  # next phase starts on a quiet host. A record is complete when it names all K members.
  local t_records hw2
  wait_for_count "${fkind}" "PropagatedVersions complete" "${deadline}" records_complete "${kind}" \
    || return 1
  t_records=$(now)
  hw2=$(host_writes)
  passes1=$(passes "${member_res}")
  local per_object conflicts per_object_all
  per_object=$(host_writes_per_object "${hw0}" "${hw1}" "${N}")
  per_object_all=$(host_writes_per_object "${hw0}" "${hw2}" "${N}")
  conflicts=$(host_conflicts_delta "${hc0}" "${hc1}")
  log "  ${per_object} (the kubectl create of the federated object included)"
  log "  until the PropagatedVersions are complete: ${per_object_all}"
  log "  host 409s (Conflict/AlreadyExists): ${conflicts}"
  local per_pass
  per_pass=$(passes_per "${passes0}" "${passes1}" "${N}" "$((MEMBER_COUNT * N))")
  [[ ${CONTROLLER_KIND} == kfed ]] && log "  until the PropagatedVersions are complete: $(cut -d' ' -f1 <<<"${per_pass}") host passes per object, $(cut -d' ' -f2 <<<"${per_pass}") member passes per member copy"
  local kfed_s status_s
  kfed_s=$(awk -v a="${t0}" -v b="${t_members}" 'BEGIN {printf "%.2f", b - a}')
  status_s=$(awk -v a="${t0}" -v b="${t_status}" 'BEGIN {printf "%.2f", b - a}')
  local host_s records_s
  host_s=$(awk -v a="${t0}" -v b="${t_host}" 'BEGIN {printf "%.2f", b - a}')
  records_s=$(awk -v a="${t0}" -v b="${t_records}" 'BEGIN {printf "%.2f", b - a}')
  log "${fkind}: host objects written in ${host_s} s; ${copies}/$((MEMBER_COUNT * N)) member copies at ${kfed_s} s; all ${N} Propagation=True at ${status_s} s; all PropagatedVersions at ${records_s} s"
  log "  CPU during cold start: $(cpu_report "${cpu0}" "${cpu1}" "${kfed_s}")"
  local bare bare_s cpu2 cpu3
  cpu2=$(cpu_snapshot)
  bare=$("${WRITER}" --kubeconfig "${KCFG}" --contexts "${CONTEXTS}" --namespace bench-bare \
    --kind "${kind}" --count "${N}" --workers 4 --qps 100 --burst 200 --prefix "bare-${kind}-")
  cpu3=$(cpu_snapshot)
  bare_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"${bare}")
  log "  bare writer: ${bare}"
  log "  CPU during bare writer: $(cpu_report "${cpu2}" "${cpu3}" "${bare_s}")"
  local kfed_rate bare_rate ratio
  kfed_rate=$(awk -v n="$((MEMBER_COUNT * N))" -v s="${kfed_s}" 'BEGIN {printf "%.0f", n / s}')
  bare_rate=$(awk -v n="$((MEMBER_COUNT * N))" -v s="${bare_s}" 'BEGIN {printf "%.0f", n / s}')
  ratio=$(awk -v a="${bare_s}" -v b="${kfed_s}" 'BEGIN {printf "%.2f", a / b}')
  local alone=${USER_ALONE[${fkind}]} share
  share=$(awk -v a="${alone}" -v b="${host_s}" 'BEGIN {printf "%.2f", b / a}')
  ROWS+=("| cold start, ${fkind} | N=${N} on ${MEMBERS_TEXT} (${copies} copies) | host writes done ${host_s} s; all member copies ${kfed_s} s (${kfed_rate}/s); all Propagation=True ${status_s} s; PropagatedVersions ${records_s} s | bare writer ${bare_s} s (${bare_rate}/s); ${CTRL_NAME}/bare = **${ratio}** (target ≥ 0.8) |")
  ROWS+=("| the user's host writes, ${fkind} | the same kubectl creates of N (4 processes) with no controller running, and during the cold start | ${alone} s alone; ${host_s} s with ${CTRL_NAME} running: **×${share}** | target ≤ ×1.2 |")
  local ctrl_cpu
  ctrl_cpu=$(join <(sort <<<"${cpu0}") <(sort <<<"${cpu1}") | awk '$1 == "controller" {printf "%.1f", $3 - $2}')
  result "${kind}-user" "cold start ${fkind}: the user's kubectl create of N, s" "${host_s}"
  result "${kind}-user-share" "cold start ${fkind}: the user's create with the controller running / with none" "${share}"
  result "${kind}-copies" "cold start ${fkind}: all ${MEMBER_COUNT}N member copies, s" "${kfed_s}"
  result "${kind}-status" "cold start ${fkind}: every status Propagation=True, s" "${status_s}"
  result "${kind}-records" "cold start ${fkind}: every PropagatedVersion complete, s" "${records_s}"
  result "${kind}-hostw" "cold start ${fkind}: host writes per object until the statuses" "$(awk '{print $1}' <<<"${per_object}")"
  result "${kind}-hostw-all" "cold start ${fkind}: host writes per object until the PropagatedVersions" "$(awk '{print $1}' <<<"${per_object_all}")"
  result "${kind}-cpu" "cold start ${fkind}: controller CPU-seconds until the copies" "${ctrl_cpu}"
  info "${kind}-bare" "${bare_s}"
  info "${kind}-host-passes" "$(cut -d' ' -f1 <<<"${per_pass}")"
  info "${kind}-member-passes" "$(cut -d' ' -f2 <<<"${per_pass}")"
  HOSTW_ROWS+=("| ${fkind} | until the statuses: ${per_object}; until the PropagatedVersions: $(awk '{print $1}' <<<"${per_object_all}") | ${conflicts} |")
  CPU_ROWS+=("| cold start ${fkind}, ${CTRL_NAME} | $(cpu_report "${cpu0}" "${cpu1}" "${kfed_s}") |" "| cold start ${fkind}, bare writer | $(cpu_report "${cpu2}" "${cpu3}" "${bare_s}") |")
}

ROWS=()
CPU_ROWS=()
HOSTW_ROWS=()
cold_start FederatedConfigMap
[[ ${DEPLOYMENTS} == 1 ]] && cold_start FederatedDeployment

# --- 2. sustained change -------------------------------------------------------------------
# $1: comma-separated member contexts to observe, $2: the tag of this run's values (each run
# writes "<tag>-<seq>": a value an earlier run already wrote would be a no-op PATCH, which the
# apiserver does not announce: the 2026-12-06 isolation runs before this counted those as
# "missing"). Prints the writer's lines.
sustained() {
  "${WRITER}" --kubeconfig "${KCFG}" --host-context host --contexts "$1" --namespace "${BNS}" \
    --count "${N}" --prefix cm- --sustain-rate "${RATE}" --sustain-seconds "${SUSTAIN}" \
    --sustain-tag "$2" --qps 0 || true
}
# field NAME LINE: the value of NAME= in a writer line.
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
member_line() { grep "member=$1 " <<<"$2" || true; }
log "sustained change: ${RATE}/s for ${SUSTAIN} s"
sleep 2
passes0=$(passes configmaps)
cpu0=$(cpu_snapshot)
perf_start sustained
SUST=$(sustained "${CONTEXTS}" s)
perf_stop
cpu1=$(cpu_snapshot)
passes1=$(passes configmaps)
log "$(sed 's/^/  /' <<<"${SUST}")"
SUST_ALL=$(member_line all "${SUST}")
per_member=""
for m in "${MEMBERS[@]}"; do
  l=$(member_line "$m" "${SUST}")
  per_member+="${m} p50 $(field p50_ms "$l") / p99 $(field p99_ms "$l") ms; "
done
ROWS+=("| sustained change | template updates of the N FederatedConfigMaps at ${RATE}/s for ${SUSTAIN} s (achieved $(field achieved_rate "${SUST_ALL}")/s, $(field writes "${SUST_ALL}") writes, ${MEMBERS_TEXT}) | host PATCH answered → member watch event: p50 **$(field p50_ms "${SUST_ALL}") ms**, p99 **$(field p99_ms "${SUST_ALL}") ms**, max $(field max_ms "${SUST_ALL}") ms over $(field seen "${SUST_ALL}") member updates, $(field missing "${SUST_ALL}") missing; ${per_member}| target p99 ≤ 100 ms |")
CPU_ROWS+=("| sustained ${RATE}/s | $(cpu_report "${cpu0}" "${cpu1}" "$((SUSTAIN + 1))") |")
result sust-p50 "sustained ${RATE}/s: p50 host -> member, ms" "$(field p50_ms "${SUST_ALL}")"
result sust-p99 "sustained ${RATE}/s: p99 host -> member, ms" "$(field p99_ms "${SUST_ALL}")"
result sust-missing "sustained ${RATE}/s: member updates never seen in the window" "$(field missing "${SUST_ALL}")"
SUST_CPU=$(join <(sort <<<"${cpu0}") <(sort <<<"${cpu1}") | awk '$1 == "controller" {printf "%.1f", $3 - $2}')
# Controller CPU per 1,000 member updates seen (issue 21: at most KubeFed's).
SUST_CPU_PER_K=$(awk -v c="${SUST_CPU}" -v n="$(field seen "${SUST_ALL}")" 'BEGIN {if (n > 0) printf "%.2f", 1000 * c / n; else print "n/a"}')
ROWS+=("| CPU per update | controller CPU during the sustained phase, per 1,000 member updates seen | **${SUST_CPU_PER_K} CPU-seconds** (${SUST_CPU} s for $(field seen "${SUST_ALL}")) | at most KubeFed's |")
result sust-cpu "sustained ${RATE}/s: controller CPU-seconds" "${SUST_CPU}"
result sust-cpu-per-k "sustained ${RATE}/s: controller CPU-seconds per 1,000 member updates seen" "${SUST_CPU_PER_K}"
# Passes per template update (host) and per member update seen (member pools).
SUST_PASSES=$(passes_per "${passes0}" "${passes1}" "$(field writes "${SUST_ALL}")" "$(field seen "${SUST_ALL}")")
[[ ${CONTROLLER_KIND} == kfed ]] && log "  $(cut -d' ' -f1 <<<"${SUST_PASSES}") host passes per template update, $(cut -d' ' -f2 <<<"${SUST_PASSES}") member passes per member update seen"
info sust-host-passes "$(cut -d' ' -f1 <<<"${SUST_PASSES}")"
info sust-member-passes "$(cut -d' ' -f2 <<<"${SUST_PASSES}")"

# --- 3. drift revert ----------------------------------------------------------------------
log "drift revert: ${DRIFTS} edits"
sleep 2
DRIFT=$("${WRITER}" --kubeconfig "${KCFG}" --contexts "${CONTEXTS}" --namespace "${BNS}" \
  --count "${N}" --prefix cm- --drifts "${DRIFTS}" --qps 0) || true
log "  ${DRIFT}"
result drift-n "drift revert: member copies edited (KubeFed: --kubefed-drifts)" "${DRIFTS}"
result drift-p50 "drift revert: p50, ms" "$(field p50_ms " ${DRIFT}")"
result drift-p99 "drift revert: p99, ms" "$(field p99_ms " ${DRIFT}")"
ROWS+=("| drift revert | ${DRIFTS} random member ConfigMaps edited one at a time (N=${N}) | ${DRIFT#drift_revert } (from the PATCH answer to a GET seeing the original value) | target p99 ≤ 200 ms |")

# --- 4. memory ----------------------------------------------------------------------------
# Bytes of what the controller caches, as compact JSON: the host's federated objects,
# PropagatedVersions, FederatedNamespaces, Namespaces, KubeFedClusters and FederatedTypeConfigs,
# and the kfed-managed objects of every enabled type in each member.
json_bytes() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
print(sum(len(json.dumps(i, separators=(",", ":"))) for i in d.get("items", [])))'
}
TARGETS=configmaps,deployments.apps,ingresses.networking.k8s.io,jobs.batch,namespaces,replicasets.apps,secrets,serviceaccounts,services,clusterroles.rbac.authorization.k8s.io
FED=federatedconfigmaps,federateddeployments,federatedingresses,federatedjobs,federatednamespaces,federatedreplicasets,federatedsecrets,federatedserviceaccounts,federatedservices,federatedclusterroles
sleep 12  # at rest, and one check of the memory trimmer (every 10 s) since the drifts
RSS_NOW=$(rss_mib "${CONTROLLER_PID}")
info threads "$(threads_of "${CONTROLLER_PID}")"
host_bytes=$(k --context host get "${FED},propagatedversions,clusterpropagatedversions,namespaces" -A -o json | json_bytes)
host_bytes=$((host_bytes + $(k --context host -n "${NS}" get kubefedclusters,federatedtypeconfigs -o json | json_bytes)))
member_bytes=0
for m in "${MEMBERS[@]}"; do
  member_bytes=$((member_bytes + $(k --context "$m" get "${TARGETS}" -A -l kubefed.io/managed=true -o json | json_bytes)))
done
CACHED_MIB=$(awk -v b="$((host_bytes + member_bytes))" 'BEGIN {printf "%.1f", b / 1048576}')
RATIO=$(awk -v r="${RSS_NOW}" -v c="${CACHED_MIB}" 'BEGIN {printf "%.2f", r / c}')
# What the RSS holds: anonymous memory (heap, stacks) against mapped files (code of the binary
# and its shared libraries), and the heap's live and free bytes (kfed_heap_bytes, mallinfo2).
heap_mib() {
  metrics | awk -v s="$1" 'index($0, "kfed_heap_bytes{state=\"" s "\"}") == 1 {printf "%.1f", $NF / 1048576}'; }
# Thread stacks: the unnamed 8 MiB mappings (glibc's default stack; the touched part of each
# also holds the thread's static TLS, e.g. glog's 30 KiB buffer).
stacks_mib() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {named = (NF >= 6)} /^Size:/ {size = $2} /^Rss:/ {if (!named && size == 8192) s += $2} END {printf "%.1f", s / 1024}' \
    "/proc/${CONTROLLER_PID}/smaps"; }
if [[ ${CONTROLLER_KIND} == kfed ]]; then
  RSS_PARTS="anonymous $(mib_of RssAnon) MiB (heap in use $(heap_mib in_use) MiB, free $(heap_mib free) MiB; $(threads_of "${CONTROLLER_PID}") threads, stacks $(stacks_mib) MiB), files $(mib_of RssFile) MiB"
else
  RSS_PARTS="anonymous $(mib_of RssAnon) MiB (heap in use: n/a, kfed_heap_bytes is kfed's), files $(mib_of RssFile) MiB"
fi
log "memory: RSS ${RSS_NOW} MiB = ${RSS_PARTS}; at start ${RSS0_PARTS}"
log "memory: RSS ${RSS_NOW} MiB; cached objects ${CACHED_MIB} MiB (host $((host_bytes / 1024)) KiB, members $((member_bytes / 1024)) KiB); ratio ${RATIO}"
result rss "RSS at rest, MiB" "${RSS_NOW}"
ROWS+=("| memory | controller RSS (VmRSS) against the bytes of the cached objects (compact JSON; host $((host_bytes / 1024)) KiB + members $((member_bytes / 1024)) KiB) | RSS ${RSS0} MiB with 0 objects (${RSS0_PARTS}); ${RSS_NOW} MiB holding ${CACHED_MIB} MiB of objects (${RSS_PARTS}): **${RATIO}×** | target ≤ 2.5× |")

# --- 5. idle ------------------------------------------------------------------------------
# At rest first: Events of the earlier phases may still be queued behind the event limiter
# (20/s); the window starts once the host has seen no write for 4 s (at most 3 minutes).
# Host writes except leader election renewals while leading: the Lease and KubeFed's
# ConfigMap lock held beside it (a PUT each per retry period; the bench writes no ConfigMaps
# in the host), and the TokenReview/SubjectAccessReview POSTs that authenticate the bench's
# own /metrics scrapes (reviews store nothing).
host_write_total() { host_writes | awk '$1 != "leases" && $1 != "configmaps" && $1 != "tokenreviews" && $1 != "subjectaccessreviews" {s += $2} END {printf "%d\n", s}'; }
log "idle: waiting until no host writes for 4 s"
prev=$(host_write_total); quiet=0
for _ in $(seq 1 90); do
  sleep 2
  cur=$(host_write_total)
  if [[ ${cur} == "${prev}" ]]; then quiet=$((quiet + 1)); else quiet=0; fi
  prev=${cur}
  (( quiet >= 2 )) && break
done
log "idle: ${IDLE} s"
hw0=$(host_write_total)
w0=$(member_writes)
cpu0=$(cpu_snapshot)
perf_start idle
sleep "${IDLE}"
perf_stop
cpu1=$(cpu_snapshot)
w1=$(member_writes)
# The reads of host_write_total itself are GETs: not counted.
hw1=$(host_write_total)
IDLE_CPU=$(cpu_report "${cpu0}" "${cpu1}" "${IDLE}")
CTRL_IDLE=$(awk -v a="$(awk '/^controller / {print $2}' <<<"${cpu0}")" -v b="$(awk '/^controller / {print $2}' <<<"${cpu1}")" -v s="${IDLE}" 'BEGIN {printf "%.2f%%", 100 * (b - a) / s}')
log "  ${IDLE_CPU}; controller ${CTRL_IDLE}; member writes +$((w1 - w0)); host writes +$((hw1 - hw0))"
result idle-cpu "idle ${IDLE} s: controller CPU, % of a core" "${CTRL_IDLE%\%}"
result idle-member-writes "idle ${IDLE} s: member writes" "$((w1 - w0))"
result idle-host-writes "idle ${IDLE} s: host writes (leader election not counted)" "$((hw1 - hw0))"
ROWS+=("| idle | everything at rest ($((N * (1 + DEPLOYMENTS))) federated objects, $((MEMBER_COUNT * N * (1 + DEPLOYMENTS))) member copies), ${IDLE} s | controller CPU **${CTRL_IDLE}** of one core; member writes +$((w1 - w0)), host writes +$((hw1 - hw0)) (leader election renewals not counted) | target ≤ 1% and 0 writes |")
CPU_ROWS+=("| idle ${IDLE} s | ${IDLE_CPU} |")

if [[ -n ${HEAP_PROFILE} ]]; then
  # The heap at rest: everything still allocated when the controller dies.
  log "profile: killing the controller for heaptrack's report"
  kill -KILL "${CONTROLLER_PID}"
  wait "${WRAPPER_PID}" 2>/dev/null || true
  CONTROLLER_PID=""
  heap=$(ls -t "${HEAP_PROFILE}"/heaptrack.controller* | head -1)
  heaptrack_print -f "${heap}" --print-leaks --print-peaks 0 --print-allocators 0 \
    --print-temporary 0 -n 25 -s 3 >"${HEAP_PROFILE}/heap-at-rest.txt" 2>&1 || true
  heaptrack_print -f "${heap}" -n 15 -s 3 >"${HEAP_PROFILE}/heap-peaks.txt" 2>&1 || true
  log "  heap: ${HEAP_PROFILE}/heap-at-rest.txt, ${HEAP_PROFILE}/heap-peaks.txt; RSS at rest was ${RSS_NOW} MiB"
  printf '%s\n' "${ROWS[@]}" "${CPU_ROWS[@]}" >"${HEAP_PROFILE}/figures.md"
  exit 0
fi

# --- 6. isolation -------------------------------------------------------------------------
# stale_copies MEMBER: how many copies in MEMBER do not hold their template's value.
stale_copies() {
  join <(k --context host -n "${BNS}" get federatedconfigmaps -o jsonpath='{range .items[*]}{.metadata.name} {.spec.template.data.key}{"\n"}{end}' | sort) \
       <(k --context "$1" -n "${BNS}" get configmaps -l app=bench -o jsonpath='{range .items[*]}{.metadata.name} {.data.key}{"\n"}{end}' | sort) |
    awk '$2 != $3' | wc -l
}
# The last member's apiserver stopped; the others observed.
isolation() {
  local stopped="${MEMBERS[-1]}" others=("${MEMBERS[@]:0:MEMBER_COUNT-1}") others_ctx others_text
  others_ctx=$(IFS=,; echo "${others[*]}")
  if (( ${#others[@]} <= 2 )); then others_text=$(IFS=+; echo "${others[*]}"); else others_text="member1-$((MEMBER_COUNT - 1))"; fi
  log "isolation: ${stopped} stopped, ${RATE}/s for ${SUSTAIN} s"
  hack/local-clusters.sh stop "${stopped}" >/dev/null
  local iso_w0 iso_w1 cpu0 cpu1 iso
  iso_w0=$(member_writes "${others[@]}")
  cpu0=$(cpu_snapshot)
  perf_start isolation
  iso=$(sustained "${others_ctx}" iso)
  perf_stop
  cpu1=$(cpu_snapshot)
  CPU_ROWS+=("| isolation ${RATE}/s, ${stopped} stopped | $(cpu_report "${cpu0}" "${cpu1}" "$((SUSTAIN + 1))") |")
  iso_w1=$(member_writes "${others[@]}")
  # Every copy on the other members must now hold its template's value.
  local m stale=""
  for m in "${others[@]}"; do stale+="${stale:+, }${m} $(stale_copies "${m}")"; done
  log "  isolation: ${CTRL_NAME}'s writes to ${others_text} during the phase: $((iso_w1 - iso_w0)); stale copies now: ${stale}"
  log "$(sed 's/^/  /' <<<"${iso}")"
  local iso_cells="" before after change
  for m in "${others[@]}"; do
    before=$(field p99_ms "$(member_line "$m" "${SUST}")")
    after=$(field p99_ms "$(member_line "$m" "${iso}")")
    change=$(awk -v a="${before}" -v b="${after}" 'BEGIN {if (a > 0) printf "%+.0f%%", 100 * (b - a) / a; else print "n/a"}')
    iso_cells+="${m} p99 ${after} ms (all members up: ${before} ms, ${change}); "
  done
  # Pooled over the observed members (less noise than one member's p99 of a short phase).
  before=$(field p99_ms "${SUST_ALL}")
  after=$(field p99_ms "$(member_line all "${iso}")")
  change=$(awk -v a="${before}" -v b="${after}" 'BEGIN {if (a > 0) printf "%+.0f%%", 100 * (b - a) / a; else print "n/a"}')
  iso_cells+="all observed members p99 ${after} ms (all members up, member1-${MEMBER_COUNT}: ${before} ms, ${change}); "
  result iso-p99 "isolation (${stopped} stopped): p99 on ${others_text}, ms" "${after}"
  ROWS+=("| isolation | ${stopped}'s apiserver stopped, then scenario 2 again (${RATE}/s for ${SUSTAIN} s) | ${iso_cells}missing $(field missing "$(member_line all "${iso}")") | target: p99 changes by ≤ 10% |")
}
if [[ ${ISOLATION} == 0 ]]; then
  log "isolation: skipped (--no-isolation)"
elif (( MEMBER_COUNT == 1 )); then
  log "isolation: skipped (one member: no other member to compare with)"
else
  isolation
fi

# --- results ------------------------------------------------------------------------------
HC_END=$(host_conflicts)
RUN_CONFLICTS=$(host_conflicts_delta "${HC_START}" "${HC_END}")
log "host 409s (Conflict/AlreadyExists) over the whole run: ${RUN_CONFLICTS}"
ROWS+=("| host 409s | every phase, from the controller's start | ${RUN_CONFLICTS} | no write bound to conflict: ~0 |")
KVER=$(k --context host version -o json 2>/dev/null | awk -F'"' '/gitVersion/ {v = $4} END {print v}')
MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
TABLE="$(cat <<EOF

### $(date -u +%Y-%m-%d) $( [[ ${SMOKE} == 1 ]] && echo "(smoke) ")N=${N}, $( (( MEMBER_COUNT != 3 || NODES != 0 )) && echo "${MEMBERS_TEXT}$( (( NODES > 0 )) && echo " with ${NODES} kwok Nodes each"), ")$( [[ ${CONTROLLER_KIND} == kubefed ]] && echo "${CTRL_NAME} v0.10.0, against kfed's CRDs and joins at ")kfed $(git rev-parse --short HEAD)

Machine: $(nproc) cores (${MODEL}), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;
Kubernetes ${KVER}; controller flags: ${CTRL_FLAGS_TEXT:-defaults$( [[ ${CONTROLLER_KIND} == kfed ]] && echo " (--cluster-workers 4, --member-qps 100, --member-burst 200)")}.

| scenario | input | ${CTRL_NAME} | limit / target |
| --- | --- | --- | --- |
$(printf '%s\n' "${ROWS[@]}")

Host apiserver writes during each cold start, per federated object (apiserver_request_total):

| cold start | writes | 409 answers (Conflict/AlreadyExists) |
| --- | --- | --- |
$(printf '%s\n' "${HOSTW_ROWS[@]}")

CPU (percent of one core, averaged over the phase):

| phase | CPU |
| --- | --- |
$(printf '%s\n' "${CPU_ROWS[@]}")
EOF
)"
echo "${TABLE}"
if [[ ${RECORD} == 1 ]]; then
  grep -q '^## propagation (end to end)' docs/benchmarks.md || printf '\n## propagation (end to end)\n' >>docs/benchmarks.md
  echo "${TABLE}" >>docs/benchmarks.md
  log "appended to docs/benchmarks.md"
fi
