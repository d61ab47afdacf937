#!/usr/bin/env bash
# Real Kubernetes clusters on loopback: one shared etcd and, per cluster, a kube-apiserver and
# a kube-controller-manager built from the official Go modules (hack/kube-binaries.sh).
#
# Usage: hack/local-clusters.sh COMMAND [ARGS]
#   up [--members N]   start a host and N members (default 2: host, member1, member2) and wait
#                      until every /readyz is ok; safe to run twice
#   down               stop exactly the processes `up` started (by pid) and remove the state
#   status             show each component, its pid and whether /readyz answers
#   stop NAME          stop one cluster's apiserver and controller manager, keeping its data
#   kill NAME          SIGKILL them instead (a crash: no graceful shutdown), keeping its data
#   start NAME         start a stopped cluster again (same port, certificates and data)
#   pause NAME         SIGSTOP the cluster's apiserver (requests to it hang)
#   resume NAME        SIGCONT it
#   kubeconfig [NAME]  print the merged kubeconfig path (contexts named after the clusters),
#                      or one cluster's own kubeconfig
#   env                print shell exports for tests (KFED_E2E_KUBECONFIG, KFED_KUBE_BIN, ...)
#   serve RUN_DIR      run start requests for others (see below) until stopped by `down`
#
# Bazel kills every process a test leaves behind, so a cluster that a test restarts with
# `start` would die with the test. hack/test.sh therefore runs `serve` beside Bazel; while it
# runs, `start` hands the request to it, and the restarted processes belong to it instead.
#
# Environment: KFED_RUN_DIR (default <repo>/.run/clusters), KFED_MEMBERS (default 2),
# KFED_KUBE_BIN (directory with the binaries; default: built and cached by version).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${KFED_RUN_DIR:-${REPO}/.run/clusters}"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_IP="10.96.0.1"

log() { echo "[local-clusters] $*" >&2; }
die() { echo "[local-clusters] ERROR: $*" >&2; exit 1; }

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

kube_bin() {
  if [[ -n "${KFED_KUBE_BIN:-}" ]]; then echo "${KFED_KUBE_BIN}"; return; fi
  "${REPO}/hack/kube-binaries.sh"
}

# --- ports --------------------------------------------------------------------------------
port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# Picks a free loopback port at or above $1 that no other component of this run claimed.
free_port() {
  local p=$1
  while port_in_use "$p" || grep -qx "$p" "${RUN_DIR}/ports.claimed" 2>/dev/null; do p=$((p + 1)); done
  echo "$p" >> "${RUN_DIR}/ports.claimed"
  echo "$p"
}

# --- processes ----------------------------------------------------------------------------
# A pid file names a process we started; it is ours only while its command line still
# mentions our run directory (pids are reused).
pid_alive() {
  local f=$1 pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -qF "${RUN_DIR}"
}

stop_pid() {
  local f=$1 name=$2 pid i
  if pid_alive "$f"; then
    pid=$(cat "$f")
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do pid_alive "$f" || break; sleep 0.2; done
    if pid_alive "$f"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    log "stopped ${name} (pid ${pid})"
  fi
  rm -f "$f"
}

start_bg() {
  local pidfile=$1 logfile=$2; shift 2
  setsid "$@" >>"${logfile}" 2>&1 < /dev/null &
  echo $! > "${pidfile}"
}

# --- certificates -------------------------------------------------------------------------
gen_key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

# sign_cert DIR NAME SUBJECT EXT: a certificate signed by DIR/ca.{crt,key}.
sign_cert() {
  local dir=$1 name=$2 subject=$3 ext=$4
  gen_key "${dir}/${name}.key"
  openssl req -new -key "${dir}/${name}.key" -subj "${subject}" -out "${dir}/${name}.csr" 2>/dev/null
  printf '%b' "${ext}" > "${dir}/${name}.ext"
  openssl x509 -req -in "${dir}/${name}.csr" -CA "${dir}/ca.crt" -CAkey "${dir}/ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "${dir}/${name}.ext" -out "${dir}/${name}.crt" 2>/dev/null
  rm -f "${dir}/${name}.csr" "${dir}/${name}.ext"
}

make_certs() {
  local name=$1 dir="${RUN_DIR}/${name}/pki"
  [[ -f "${dir}/admin.crt" ]] && return
  mkdir -p "${dir}"
  gen_key "${dir}/ca.key"
  openssl req -x509 -new -key "${dir}/ca.key" -subj "/CN=kfed-local-${name}-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "${dir}/ca.crt" 2>/dev/null
  sign_cert "${dir}" serving "/CN=kube-apiserver" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:${SERVICE_IP}\n"
  sign_cert "${dir}" admin "/O=system:masters/CN=kfed-admin" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
  sign_cert "${dir}" controller-manager "/CN=system:kube-controller-manager" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
  gen_key "${dir}/sa.key"
  openssl ec -in "${dir}/sa.key" -pubout -out "${dir}/sa.pub" 2>/dev/null
}

b64() { base64 -w0 < "$1"; }

# write_kubeconfig FILE CLUSTER PORT CERT_NAME USER_NAME
write_kubeconfig() {
  local file=$1 name=$2 port=$3 cert=$4 user=$5 dir="${RUN_DIR}/${2}/pki"
  cat > "${file}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: https://127.0.0.1:${port}
    certificate-authority-data: $(b64 "${dir}/ca.crt")
users:
- name: ${user}
  user:
    client-certificate-data: $(b64 "${dir}/${cert}.crt")
    client-key-data: $(b64 "${dir}/${cert}.key")
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${user}
current-context: ${name}
EOF
  chmod 600 "${file}"
}

write_merged_kubeconfig() {
  local out="${RUN_DIR}/kubeconfig" name port dir
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    for name in $(cluster_names); do
      port=$(cat "${RUN_DIR}/${name}/port"); dir="${RUN_DIR}/${name}/pki"
      echo "- name: ${name}"
      echo "  cluster:"
      echo "    server: https://127.0.0.1:${port}"
      echo "    certificate-authority-data: $(b64 "${dir}/ca.crt")"
    done
    echo "users:"
    for name in $(cluster_names); do
      dir="${RUN_DIR}/${name}/pki"
      echo "- name: ${name}-admin"
      echo "  user:"
      echo "    client-certificate-data: $(b64 "${dir}/admin.crt")"
      echo "    client-key-data: $(b64 "${dir}/admin.key")"
    done
    echo "contexts:"
    for name in $(cluster_names); do
      echo "- name: ${name}"
      echo "  context:"
      echo "    cluster: ${name}"
      echo "    user: ${name}-admin"
    done
    echo "current-context: host"
  } > "${out}.tmp"
  chmod 600 "${out}.tmp"
  mv "${out}.tmp" "${out}"
}

cluster_names() { cat "${RUN_DIR}/clusters" 2>/dev/null; }

# --- components ---------------------------------------------------------------------------
start_etcd() {
  local bin=$1 dir="${RUN_DIR}/etcd"
  pid_alive "${dir}/pid" && return
  mkdir -p "${dir}"
  [[ -f "${dir}/port" ]] || { free_port 23790 > "${dir}/port"; free_port 23890 > "${dir}/peer-port"; }
  local port peer
  port=$(cat "${dir}/port"); peer=$(cat "${dir}/peer-port")
  port_in_use "${port}" && die "etcd's port ${port} is taken by another process; run 'down' and 'up' again"
  log "starting etcd on 127.0.0.1:${port}"
  # --unsafe-no-fsync: test clusters trade durability on power loss for speed.
  start_bg "${dir}/pid" "${dir}/etcd.log" "${bin}/etcd" --name default --data-dir "${dir}/data" \
    --listen-client-urls "http://127.0.0.1:${port}" --advertise-client-urls "http://127.0.0.1:${port}" \
    --listen-peer-urls "http://127.0.0.1:${peer}" --initial-advertise-peer-urls "http://127.0.0.1:${peer}" \
    --initial-cluster "default=http://127.0.0.1:${peer}" --unsafe-no-fsync \
    --quota-backend-bytes 8589934592 --log-level warn --listen-metrics-urls ""
}

# Every ConfigMap create is audited (metadata only: who, namespace, name, response code), so
# the e2e fault suite can prove that nothing was created twice, across apiserver restarts.
write_audit_policy() {
  cat > "${RUN_DIR}/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["create"]
  resources:
  - group: ""
    resources: ["configmaps"]
- level: None
YAML
}

start_apiserver() {
  local bin=$1 name=$2 dir="${RUN_DIR}/${2}"
  pid_alive "${dir}/apiserver.pid" && return
  [[ -f "${RUN_DIR}/audit-policy.yaml" ]] || write_audit_policy
  local port etcd_port
  port=$(cat "${dir}/port"); etcd_port=$(cat "${RUN_DIR}/etcd/port")
  port_in_use "${port}" && die "${name}'s apiserver port ${port} is taken by another process; run 'down' and 'up' again"
  log "starting kube-apiserver for ${name} on https://127.0.0.1:${port}"
  # --endpoint-reconciler-type=none: Endpoints may not hold loopback addresses, and nothing
  # here needs the in-cluster 'kubernetes' Service to route.
  start_bg "${dir}/apiserver.pid" "${dir}/kube-apiserver.log" "${bin}/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:${etcd_port}" --etcd-prefix "/registry-${name}" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "${port}" \
    --cert-dir "${dir}/apiserver-certs" \
    --tls-cert-file "${dir}/pki/serving.crt" --tls-private-key-file "${dir}/pki/serving.key" \
    --client-ca-file "${dir}/pki/ca.crt" \
    --service-account-key-file "${dir}/pki/sa.pub" --service-account-signing-key-file "${dir}/pki/sa.key" \
    --service-account-issuer "https://kubernetes.default.svc.${name}.local" \
    --api-audiences "https://kubernetes.default.svc.${name}.local" \
    --service-cluster-ip-range "${SERVICE_CIDR}" --authorization-mode RBAC \
    --endpoint-reconciler-type none --allow-privileged=true --profiling=false \
    --max-requests-inflight "${KFED_MAX_REQUESTS_INFLIGHT:-800}" \
    --max-mutating-requests-inflight "${KFED_MAX_MUTATING_REQUESTS_INFLIGHT:-400}" \
    --audit-policy-file "${RUN_DIR}/audit-policy.yaml" --audit-log-path "${dir}/audit.log" \
    --audit-log-maxsize 500 --audit-log-maxbackup 1 \
    --v 1
}

start_controller_manager() {
  local bin=$1 name=$2 dir="${RUN_DIR}/${2}"
  pid_alive "${dir}/controller-manager.pid" && return
  log "starting kube-controller-manager for ${name}"
  start_bg "${dir}/controller-manager.pid" "${dir}/kube-controller-manager.log" "${bin}/kube-controller-manager" \
    --kubeconfig "${dir}/controller-manager.kubeconfig" \
    --controllers "namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller" \
    --service-account-private-key-file "${dir}/pki/sa.key" --root-ca-file "${dir}/pki/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false --secure-port 0 \
    --concurrent-namespace-syncs 5 --concurrent-gc-syncs 10 --v 1
}

readyz() {
  local name=$1 dir="${RUN_DIR}/${1}" port
  port=$(cat "${dir}/port")
  curl -s --max-time 3 --cacert "${dir}/pki/ca.crt" --cert "${dir}/pki/admin.crt" --key "${dir}/pki/admin.key" \
    "https://127.0.0.1:${port}/readyz" 2>/dev/null
}

wait_ready() {
  local name=$1 dir="${RUN_DIR}/${1}" deadline=$((SECONDS + ${KFED_START_TIMEOUT:-180}))
  while [[ "$(readyz "${name}")" != "ok" ]]; do
    if ! pid_alive "${dir}/apiserver.pid"; then
      tail -n 20 "${dir}/kube-apiserver.log" >&2 || true
      die "kube-apiserver of ${name} exited; see ${dir}/kube-apiserver.log"
    fi
    if ! pid_alive "${RUN_DIR}/etcd/pid"; then
      tail -n 20 "${RUN_DIR}/etcd/etcd.log" >&2 || true
      die "etcd exited; see ${RUN_DIR}/etcd/etcd.log"
    fi
    (( SECONDS < deadline )) || die "kube-apiserver of ${name} not ready after ${KFED_START_TIMEOUT:-180}s; see ${dir}/kube-apiserver.log"
    sleep 0.5
  done
  if ! pid_alive "${dir}/controller-manager.pid"; then
    tail -n 20 "${dir}/kube-controller-manager.log" >&2 || true
    die "kube-controller-manager of ${name} exited; see ${dir}/kube-controller-manager.log"
  fi
}

start_cluster() {
  local bin=$1 name=$2
  start_apiserver "${bin}" "${name}"
  start_controller_manager "${bin}" "${name}"
}

# --- commands -----------------------------------------------------------------------------
cmd_up() {
  local members="${KFED_MEMBERS:-2}"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --members) members="$2"; shift 2 ;;
      --members=*) members="${1#*=}"; shift ;;
      *) die "unknown flag for up: $1 (see --help)" ;;
    esac
  done
  [[ "${members}" =~ ^[0-9]+$ ]] || die "--members takes a number, got '${members}'"
  command -v openssl >/dev/null || die "openssl is not installed (run hack/install-deps.sh)"
  command -v curl >/dev/null || die "curl is not installed (run hack/install-deps.sh)"
  local bin start=${SECONDS}
  bin="$(kube_bin)"
  mkdir -p "${RUN_DIR}"
  echo "${bin}" > "${RUN_DIR}/bin"
  if [[ -f "${RUN_DIR}/clusters" ]]; then
    local have
    have=$(( $(wc -l < "${RUN_DIR}/clusters") - 1 ))
    if (( have != members )); then
      log "the running set has ${have} members, ${members} asked: recreating"
      cmd_down
      mkdir -p "${RUN_DIR}"
      echo "${bin}" > "${RUN_DIR}/bin"
    fi
  fi
  if [[ ! -f "${RUN_DIR}/clusters" ]]; then
    { echo host; for i in $(seq 1 "${members}"); do echo "member${i}"; done; } > "${RUN_DIR}/clusters"
  fi
  start_etcd "${bin}"
  local name dir port=26443
  for name in $(cluster_names); do
    dir="${RUN_DIR}/${name}"
    mkdir -p "${dir}"
    make_certs "${name}"
    [[ -f "${dir}/port" ]] || free_port "${port}" > "${dir}/port"
    write_kubeconfig "${dir}/kubeconfig" "${name}" "$(cat "${dir}/port")" admin "${name}-admin"
    write_kubeconfig "${dir}/controller-manager.kubeconfig" "${name}" "$(cat "${dir}/port")" controller-manager controller-manager
    start_cluster "${bin}" "${name}"
    port=$(( $(cat "${dir}/port") + 1 ))
  done
  write_merged_kubeconfig
  for name in $(cluster_names); do wait_ready "${name}"; log "${name} is ready"; done
  log "clusters up in $((SECONDS - start))s: $(cluster_names | tr '\n' ' ')"
  log "kubeconfig: ${RUN_DIR}/kubeconfig (contexts: $(cluster_names | tr '\n' ' '))"
  log "try: ${bin}/kubectl --kubeconfig ${RUN_DIR}/kubeconfig --context member1 get ns"
}

cmd_down() {
  [[ -d "${RUN_DIR}" ]] || { log "nothing to stop (${RUN_DIR} does not exist)"; return; }
  local name
  for name in $(cluster_names); do
    stop_pid "${RUN_DIR}/${name}/controller-manager.pid" "${name} kube-controller-manager"
    stop_pid "${RUN_DIR}/${name}/apiserver.pid" "${name} kube-apiserver"
  done
  stop_pid "${RUN_DIR}/etcd/pid" etcd
  stop_pid "${RUN_DIR}/serve.pid" "launcher server"
  rm -rf "${RUN_DIR}"
  log "removed ${RUN_DIR}"
}

require_cluster() {
  [[ -n "${1:-}" ]] || die "name a cluster: $(cluster_names | tr '\n' ' ')"
  cluster_names | grep -qx "$1" || die "no cluster named '$1' (have: $(cluster_names | tr '\n' ' '))"
}

cmd_stop() {
  require_cluster "${1:-}"
  stop_pid "${RUN_DIR}/$1/controller-manager.pid" "$1 kube-controller-manager"
  stop_pid "${RUN_DIR}/$1/apiserver.pid" "$1 kube-apiserver"
}

cmd_kill() {
  require_cluster "${1:-}"
  local f pid
  for f in "${RUN_DIR}/$1/controller-manager.pid" "${RUN_DIR}/$1/apiserver.pid"; do
    pid_alive "$f" || continue
    pid=$(cat "$f")
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$f" || break; sleep 0.1; done
    log "killed $(basename "$f" .pid) of $1 (pid ${pid})"
    rm -f "$f"
  done
}

cmd_start() {
  require_cluster "${1:-}"
  if [[ -z "${KFED_LAUNCHER_SERVING:-}" && -p "${RUN_DIR}/control.fifo" ]] && pid_alive "${RUN_DIR}/serve.pid"; then
    local id="$$-${RANDOM}"
    rm -f "${RUN_DIR}/control.${id}.done"
    echo "start $1 ${id}" > "${RUN_DIR}/control.fifo"
    local deadline=$((SECONDS + ${KFED_START_TIMEOUT:-180} + 10))
    while [[ ! -f "${RUN_DIR}/control.${id}.done" ]]; do
      (( SECONDS < deadline )) || die "the launcher server did not start $1 in time; see ${RUN_DIR}/serve.log"
      sleep 0.2
    done
    local rc
    rc=$(cat "${RUN_DIR}/control.${id}.done")
    rm -f "${RUN_DIR}/control.${id}.done"
    [[ "${rc}" == 0 ]] || die "starting $1 failed; see ${RUN_DIR}/serve.log"
    log "$1 is ready"
    return
  fi
  local bin
  bin="$(cat "${RUN_DIR}/bin")"
  start_etcd "${bin}"
  start_cluster "${bin}" "$1"
  wait_ready "$1"
  log "$1 is ready"
}

cmd_signal() {
  require_cluster "${2:-}"
  local f="${RUN_DIR}/$2/apiserver.pid"
  pid_alive "$f" || die "$2's apiserver is not running"
  kill "-$1" "$(cat "$f")"
  log "sent SIG$1 to $2's kube-apiserver (pid $(cat "$f"))"
}

cmd_status() {
  [[ -f "${RUN_DIR}/clusters" ]] || { echo "no clusters (run: $0 up)"; return 1; }
  local name dir rc=0
  printf '%-10s %-24s %-8s %s\n' CLUSTER SERVER PID READYZ
  if pid_alive "${RUN_DIR}/etcd/pid"; then
    printf '%-10s %-24s %-8s %s\n' etcd "127.0.0.1:$(cat "${RUN_DIR}/etcd/port")" "$(cat "${RUN_DIR}/etcd/pid")" -
  else
    printf '%-10s %-24s %-8s %s\n' etcd - stopped -; rc=1
  fi
  for name in $(cluster_names); do
    dir="${RUN_DIR}/${name}"
    local pid=stopped ready=-
    if pid_alive "${dir}/apiserver.pid"; then pid=$(cat "${dir}/apiserver.pid"); ready=$(readyz "${name}" || true); fi
    [[ "${ready}" == ok ]] || rc=1
    printf '%-10s %-24s %-8s %s\n' "${name}" "https://127.0.0.1:$(cat "${dir}/port")" "${pid}" "${ready:-no answer}"
  done
  return ${rc}
}

cmd_kubeconfig() {
  if [[ -n "${1:-}" ]]; then require_cluster "$1"; echo "${RUN_DIR}/$1/kubeconfig"; else echo "${RUN_DIR}/kubeconfig"; fi
}

cmd_serve() {
  [[ -d "${RUN_DIR}" ]] || die "no clusters (run: $0 up)"
  export KFED_LAUNCHER_SERVING=1
  rm -f "${RUN_DIR}/control.fifo"
  mkfifo "${RUN_DIR}/control.fifo"
  echo $$ > "${RUN_DIR}/serve.pid"
  log "serving start requests on ${RUN_DIR}/control.fifo"
  local verb name id
  while [[ -p "${RUN_DIR}/control.fifo" ]]; do
    # Re-open per request; a writer's close ends the read.
    if read -r verb name id < "${RUN_DIR}/control.fifo"; then
      [[ "${verb}" == start && -n "${id}" ]] || continue
      if ( cmd_start "${name}" ) >> "${RUN_DIR}/serve.log" 2>&1; then
        echo 0 > "${RUN_DIR}/control.${id}.done"
      else
        echo 1 > "${RUN_DIR}/control.${id}.done"
      fi
    fi
  done
}

cmd_env() {
  echo "export KFED_E2E_KUBECONFIG=${RUN_DIR}/kubeconfig"
  echo "export KFED_E2E_RUN_DIR=${RUN_DIR}"
  echo "export KFED_KUBE_BIN=$(cat "${RUN_DIR}/bin" 2>/dev/null || kube_bin)"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  stop) cmd_stop "${2:-}" ;;
  kill) cmd_kill "${2:-}" ;;
  start) cmd_start "${2:-}" ;;
  pause) cmd_signal STOP "${2:-}" ;;
  resume) cmd_signal CONT "${2:-}" ;;
  kubeconfig) cmd_kubeconfig "${2:-}" ;;
  env) cmd_env ;;
  serve) cmd_serve ;;  # `serve RUN_DIR`: the argument only marks the process as this run's
  -h|--help|help) usage ;;
  "") usage; exit 2 ;;
  *) usage >&2; die "unknown command '$1'" ;;
esac
