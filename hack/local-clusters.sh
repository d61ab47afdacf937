#!/usr/bin/env bash
# Real Kubernetes clusters on loopback: one shared etcd and, per cluster, a kube-apiserver and
# a kube-controller-manager; each member also runs a kube-scheduler and kwok, which simulates
# Nodes and the lifecycle of their Pods without a kubelet. All built from the official Go
# modules (hack/kube-binaries.sh).
#
# Usage: hack/local-clusters.sh COMMAND [ARGS]
#   up [FLAGS]         start a host and N members (default 2: host, member1, member2) and wait
#                      until every /readyz is ok and every simulated Node is Ready; safe to run
#                      twice (different flags recreate the clusters). Flags:
#     --members N        member clusters (default 2)
#     --nodes N          simulated Nodes per member (default 2); 0: no scheduler, no kwok and
#                        only the few controllers federation needs (the clusters before issue 18)
#     --node-cpu Q       each Node's cpu capacity and allocatable (default 4)
#     --node-memory Q    each Node's memory (default 8Gi)
#     --node-pods N      Pods each Node accepts (default 110)
#     --host-nodes       give the host Nodes (same count and size), a scheduler and kwok too
#     --host-kubelet     give the host two real Nodes, 127.0.0.1 and 127.0.0.2: a kubelet
#                        (hack/kube-binaries.sh --kubelet) and a containerd (Debian) each,
#                        plus a scheduler and KCM's default controllers; Pods run with runc.
#                        Loopback only: Pods must use hostNetwork (docs/development.md)
#     --host-kubelets N  the same with N Nodes (1-9)
#   down               stop exactly the processes `up` started (by pid) and remove the state
#   status             show each component, its pid and whether /readyz answers
#   stop NAME          stop one cluster's processes (apiserver, controller manager and, with
#                      Nodes, scheduler and kwok), keeping its data
#   kill NAME          SIGKILL them instead (a crash: no graceful shutdown), keeping its data
#   start NAME         start a stopped cluster again (same port, certificates, data and Nodes)
#   pause NAME         SIGSTOP the cluster's apiserver (requests to it hang)
#   resume NAME        SIGCONT it
#   kubeconfig [NAME]  print the merged kubeconfig path (contexts named after the clusters),
#                      or one cluster's own kubeconfig
#   env                print shell exports for tests (KFED_E2E_KUBECONFIG, KFED_KUBE_BIN, ...)
#   import-image ARCHIVE BASE
#                      import an OCI archive into the host node's containerd (--host-kubelet),
#                      named BASE:<tag>, e.g. docker.io/library/kfed for hack/image.sh's
#   serve RUN_DIR      run start requests for others (see below) until stopped by `down`
#
# Bazel kills every process a test leaves behind, so a cluster that a test restarts with
# `start` would die with the test. hack/test.sh therefore runs `serve` beside Bazel; while it
# runs, `start` hands the request to it, and the restarted processes belong to it instead.
#
# Environment: KFED_RUN_DIR (default <repo>/.run/clusters), KFED_MEMBERS (default 2),
# KFED_NODES, KFED_NODE_CPU, KFED_NODE_MEMORY, KFED_NODE_PODS (defaults of the flags above),
# KFED_KUBE_BIN (directory with the binaries; default: built and cached by version).
#
# Everything listens on 127.0.0.1 only (the kubelets of --host-kubelet on their Node's
# 127.0.0.<i>, and so do their hostNetwork Pods when they bind to their Pod IP). The scheduler serves nothing (--secure-port 0) and kwok
# runs without its server. kwok gives Pods fake IPs from 10.244.0.0/16 and Nodes the address
# 127.0.0.1; nothing ever connects to a Pod IP (there is no kube-proxy or network).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${KFED_RUN_DIR:-${REPO}/.run/clusters}"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_IP="10.96.0.1"
POD_CIDR="10.244.0.0/16"
# kwok manages only Nodes with this annotation (the ones `up` creates).
KWOK_NODE_ANNOTATION="kwok.x-k8s.io/node=fake"

log() { echo "[local-clusters] $*" >&2; }
die() { echo "[local-clusters] ERROR: $*" >&2; exit 1; }

usage() { sed -n '2,50p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

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
  local pidfile=$1 logfile=$2 pid i; shift 2
  setsid "$@" >>"${logfile}" 2>&1 < /dev/null &
  pid=$!
  echo "${pid}" > "${pidfile}"
  # Returns once the child runs the command (its command line names the run directory, as
  # pid_alive checks) or is gone, within 5 s: checked at once, a child that had not exec'd
  # yet looked exited ("controller-manager of host exited" while it was starting).
  for i in $(seq 1 50); do
    [[ -r "/proc/${pid}/cmdline" ]] || break
    tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -qF "${RUN_DIR}" && break
    sleep 0.1
  done
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

# Client certificates of a cluster with Nodes; made when missing, so a run directory from
# before they existed gains them on the next `up`.
make_node_certs() {
  local name=$1 dir="${RUN_DIR}/${1}/pki"
  [[ -f "${dir}/scheduler.crt" ]] || sign_cert "${dir}" scheduler "/CN=system:kube-scheduler" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
  # kwok acts for every kubelet at once (Node and Pod status, leases, Pod deletion): it gets
  # system:masters, as kwokctl gives it, rather than a role kept in step with kwok's needs.
  [[ -f "${dir}/kwok.crt" ]] || sign_cert "${dir}" kwok "/O=system:masters/CN=kwok-controller" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
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
  # With a kubelet: the Node authorizer (and the default NodeRestriction admission) for it,
  # and a verified client certificate towards it, on the Nodes' InternalIPs 127.0.0.<i>.
  local kubelet_flags=(--authorization-mode RBAC)
  if has_kubelet "${name}"; then
    kubelet_flags=(--authorization-mode Node,RBAC
      --kubelet-client-certificate "${dir}/pki/apiserver-kubelet-client.crt"
      --kubelet-client-key "${dir}/pki/apiserver-kubelet-client.key"
      --kubelet-certificate-authority "${dir}/pki/ca.crt"
      --kubelet-preferred-address-types InternalIP)
  fi
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
    --service-cluster-ip-range "${SERVICE_CIDR}" "${kubelet_flags[@]}" \
    --endpoint-reconciler-type none --allow-privileged=true --profiling=false \
    --max-requests-inflight "${KFED_MAX_REQUESTS_INFLIGHT:-800}" \
    --max-mutating-requests-inflight "${KFED_MAX_MUTATING_REQUESTS_INFLIGHT:-400}" \
    --audit-policy-file "${RUN_DIR}/audit-policy.yaml" --audit-log-path "${dir}/audit.log" \
    --audit-log-maxsize 500 --audit-log-maxbackup 1 \
    --v 1
}

# A cluster has Nodes (scheduler, KCM's default controllers) when `up` wrote its simulated
# Nodes (then also kwok) or gave it a kubelet (the host with --host-kubelet).
has_nodes() { has_kwok "$1" || has_kubelet "$1"; }
has_kwok() { [[ -f "${RUN_DIR}/$1/nodes.yaml" ]]; }
has_kubelet() { [[ -f "${RUN_DIR}/$1/kubelet.enabled" ]]; }  # holds the number of kubelets

# Without Nodes: only what federation needs of a cluster (namespaces finish deleting, owner
# references cascade, service accounts and their tokens exist).
MINIMAL_CONTROLLERS="namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller"
# With Nodes: KCM's defaults ('*'), minus the controllers the local clusters cannot serve:
#   cloud-node-lifecycle, node-route, service-lb: need a cloud provider (there is none);
#   node-ipam: allocates Pod CIDRs to Nodes for a network plugin; kwok assigns Pod IPs itself.
# KCM's disabled-by-default controllers stay off too: bootstrap-signer and token-cleaner
# (bootstrap tokens for joining real kubelets) and selinux-warning (needs real volumes).
NODE_CONTROLLERS="*,-cloud-node-lifecycle-controller,-node-route-controller,-service-lb-controller,-node-ipam-controller"

start_controller_manager() {
  local bin=$1 name=$2 dir="${RUN_DIR}/${2}"
  pid_alive "${dir}/controller-manager.pid" && return
  local controllers=("--controllers" "${MINIMAL_CONTROLLERS}")
  if has_nodes "${name}"; then
    # The cluster's CA signs approved CertificateSigningRequests, as in a kubeadm cluster.
    controllers=("--controllers" "${NODE_CONTROLLERS}"
      --cluster-signing-cert-file "${dir}/pki/ca.crt" --cluster-signing-key-file "${dir}/pki/ca.key")
  fi
  log "starting kube-controller-manager for ${name}"
  start_bg "${dir}/controller-manager.pid" "${dir}/kube-controller-manager.log" "${bin}/kube-controller-manager" \
    --kubeconfig "${dir}/controller-manager.kubeconfig" "${controllers[@]}" \
    --service-account-private-key-file "${dir}/pki/sa.key" --root-ca-file "${dir}/pki/ca.crt" \
    --use-service-account-credentials=true --leader-elect=false --secure-port 0 \
    --concurrent-namespace-syncs 5 --concurrent-gc-syncs 10 --v 1
}

start_scheduler() {
  local bin=$1 name=$2 dir="${RUN_DIR}/${2}"
  has_nodes "${name}" || return 0
  pid_alive "${dir}/scheduler.pid" && return
  log "starting kube-scheduler for ${name}"
  # --secure-port 0: no healthz/metrics server, so no port to bind at all.
  start_bg "${dir}/scheduler.pid" "${dir}/kube-scheduler.log" "${bin}/kube-scheduler" \
    --kubeconfig "${dir}/scheduler.kubeconfig" --leader-elect=false \
    --secure-port 0 --bind-address 127.0.0.1 --v 1
}

# Started once the apiserver is ready: a kwok process takes a Node only through its Lease in
# kube-node-lease, and each process has a new random identity, so after a restart the Leases
# the previous kwok held would keep the Nodes unmanaged (Pods unscheduled-for-good Pending)
# for up to --node-lease-duration-seconds. It deletes them first; the new kwok creates them
# again at once. A kwok that is running (pid alive) holds them and is left alone.
start_kwok() {
  local bin=$1 name=$2 dir="${RUN_DIR}/${2}"
  has_kwok "${name}" || return 0
  pid_alive "${dir}/kwok.pid" && return
  [[ -x "${bin}/kwok" && -f "${bin}/kwok-stages.yaml" ]] \
    || die "${bin} has no kwok; rebuild the binaries with hack/kube-binaries.sh (or unset KFED_KUBE_BIN)"
  if [[ -f "${dir}/nodes.created" ]]; then
    local leases
    leases=$(sed -n 's/^  name: //p' "${dir}/nodes.yaml" | tr '\n' ' ')
    # shellcheck disable=SC2086  # one Lease name per word
    "${bin}/kubectl" --kubeconfig "${dir}/kubeconfig" -n kube-node-lease delete lease ${leases} \
      --ignore-not-found --wait=false >/dev/null || die "releasing the Node Leases of ${name} failed"
  fi
  log "starting kwok for ${name}"
  # The stages are kwokctl's defaults (node-fast, node-heartbeat-with-lease, pod-fast): Nodes
  # become Ready and renew their Lease every 40 s; Pods become Running and Ready at once and
  # get an IP; Job Pods complete; deleted Pods go away. No --server-address: kwok listens
  # on nothing.
  start_bg "${dir}/kwok.pid" "${dir}/kwok.log" "${bin}/kwok" \
    --kubeconfig "${dir}/kwok.kubeconfig" --config "${bin}/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector "${KWOK_NODE_ANNOTATION}" \
    --cidr "${POD_CIDR}" --node-ip 127.0.0.1 --node-lease-duration-seconds 40
}

# write_nodes NAME COUNT CPU MEMORY PODS: the cluster's simulated Nodes. A Node's status may be
# set on create; kwok's node-initialize stage keeps the capacity it finds there.
write_nodes() {
  local name=$1 count=$2 cpu=$3 memory=$4 pods=$5 i node
  for i in $(seq 1 "${count}"); do
    node="${name}-node-${i}"
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: ${node}
  annotations: {${KWOK_NODE_ANNOTATION%%=*}: ${KWOK_NODE_ANNOTATION#*=}}
  labels: {kubernetes.io/hostname: ${node}, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok, kfed.io/local-node: "true"}
status:
  capacity: {cpu: "${cpu}", memory: "${memory}", pods: "${pods}"}
  allocatable: {cpu: "${cpu}", memory: "${memory}", pods: "${pods}"}
EOF
  done > "${RUN_DIR}/${name}/nodes.yaml.tmp"
  mv "${RUN_DIR}/${name}/nodes.yaml.tmp" "${RUN_DIR}/${name}/nodes.yaml"
}

# Creates the cluster's Nodes (once; they live in etcd across restarts) and waits until kwok
# has made every one Ready.
ensure_nodes() {
  local bin=$1 name=$2 dir="${RUN_DIR}/${2}" deadline=$((SECONDS + ${KFED_START_TIMEOUT:-180}))
  has_kwok "${name}" || return 0
  "${bin}/kubectl" --kubeconfig "${dir}/kubeconfig" apply -f "${dir}/nodes.yaml" >/dev/null \
    || die "creating the Nodes of ${name} failed"
  touch "${dir}/nodes.created"
  local want ready leases names
  want=$(grep -c '^kind: Node$' "${dir}/nodes.yaml")
  names=$(sed -n 's/^  name: //p' "${dir}/nodes.yaml" | tr '\n' ' ')
  while true; do
    ready=$("${bin}/kubectl" --kubeconfig "${dir}/kubeconfig" get nodes -l kfed.io/local-node=true \
      -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null \
      | grep -c '^True$' || true)
    # A Lease per Node: this kwok holds them (after a restart, the old ones were deleted).
    # shellcheck disable=SC2086  # one Lease name per word
    leases=$("${bin}/kubectl" --kubeconfig "${dir}/kubeconfig" -n kube-node-lease get lease ${names} \
      --ignore-not-found -o name 2>/dev/null | grep -c . || true)
    (( ready >= want && leases >= want )) && break
    if ! pid_alive "${dir}/kwok.pid"; then
      tail -n 20 "${dir}/kwok.log" >&2 || true
      die "kwok of ${name} exited; see ${dir}/kwok.log"
    fi
    (( SECONDS < deadline )) || die "${ready}/${want} Nodes of ${name} Ready after ${KFED_START_TIMEOUT:-180}s; see ${dir}/kwok.log"
    sleep 0.3
  done
}

# --- real kubelets (the host with --host-kubelet) -----------------------------------------
# Node i is named 127.0.0.i: the kubelet refuses a loopback --node-ip ("nodeIP can't be
# loopback address"), but a Node whose name is an IP address gets that address as its
# InternalIP unchecked, so the Node, its hostNetwork Pods (Pod IP = node IP) and the
# apiserver's connections to the kubelet (logs, exec) all stay on loopback. Each Node has a
# containerd of its own (a kubelet removes containers of Pods it does not know), its own
# cgroup root, root directory and ports; the files of node i are in host/node<i>/.
# The runtimes have only the images `up` and import-image put there; nothing is pulled.
PAUSE_IMAGE_BASE="kfed.local/pause"

kubelet_count() { cat "${RUN_DIR}/$1/kubelet.enabled" 2>/dev/null || echo 0; }
kubelet_node() { echo "127.0.0.$1"; }

make_kubelet_certs() {
  local dir="${RUN_DIR}/$1/pki" node
  node="$(kubelet_node "$2")"
  [[ -f "${dir}/kubelet-$2.crt" ]] || sign_cert "${dir}" "kubelet-$2" "/O=system:nodes/CN=system:node:${node}" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
  [[ -f "${dir}/kubelet-serving-$2.crt" ]] || sign_cert "${dir}" "kubelet-serving-$2" "/O=system:nodes/CN=system:node:${node}" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:${node}\n"
  # The apiserver's client certificate towards the kubelets (logs, exec, port-forward).
  [[ -f "${dir}/apiserver-kubelet-client.crt" ]] || sign_cert "${dir}" apiserver-kubelet-client \
    "/O=system:masters/CN=kube-apiserver-kubelet-client" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"
}

# A kubelet's cgroup root, one per run directory and node, so two runs on one machine never
# share (or clean up) each other's pod cgroups.
kubelet_cgroup_root() { echo "/kfed-$(printf '%s' "${RUN_DIR}" | sha256sum | cut -c1-10)-node$1"; }

# The cgroup v1 hierarchies this machine mounts (cpu, memory, pids, ..., name=systemd).
cgroup_v1_dirs() { awk '$3 == "cgroup" {print $2}' /proc/mounts; }

# The kubelet requires its cgroup root to exist in every hierarchy. A new v1 cpuset group
# starts with no cpus and mems: they are copied from the parent.
ensure_cgroup_root() {
  local root d
  root="$(kubelet_cgroup_root "$1")"
  for d in $(cgroup_v1_dirs); do
    mkdir -p "${d}${root}"
    if [[ -f "${d}${root}/cpuset.cpus" && -z "$(cat "${d}${root}/cpuset.cpus")" ]]; then
      cat "${d}/cpuset.cpus" > "${d}${root}/cpuset.cpus"
      cat "${d}/cpuset.mems" > "${d}${root}/cpuset.mems"
    fi
  done
}

write_containerd_config() {
  local dir=$1 pause_tag=$2
  mkdir -p "${dir}/containerd/cni"
  # containerd reports the Pod network not ready (and the kubelet keeps the Node NotReady)
  # until a CNI network is configured. This one gives a Pod without hostNetwork only its own
  # loopback interface: the local clusters have no Pod network, and Pods use hostNetwork.
  cat > "${dir}/containerd/cni/10-kfed-loopback.conflist" <<'JSON'
{"cniVersion": "0.4.0", "name": "kfed-loopback", "plugins": [{"type": "loopback"}]}
JSON
  cat > "${dir}/containerd/config.toml" <<TOML
version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${dir}/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE_BASE}:${pause_tag}"
  # Streaming (exec, attach, port-forward) on loopback, any free port.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # This machine's root lacks CAP_SYS_RESOURCE: runc cannot lower a container's
  # oom_score_adj below containerd's own (the kubelet asks -998 for sandboxes), and runc
  # init fails with "can't get final child's PID from pipe: EOF". Clamp instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/containerd/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/containerd/runc"
TOML
}

# ctr_cmd DIR ARGS...: ctr against node DIR's containerd, in the CRI's namespace.
ctr_cmd() { ctr --address "$1/containerd/containerd.sock" --namespace k8s.io "${@:2}"; }

start_containerd() {
  local name=$1 i=$2 dir="${RUN_DIR}/${1}/node${2}" deadline=$((SECONDS + 60))
  pid_alive "${dir}/containerd.pid" && return
  command -v containerd >/dev/null && command -v ctr >/dev/null \
    || die "containerd is not installed (run hack/install-deps.sh)"
  local pause_archive pause_tag
  pause_archive="$("${REPO}/hack/pause-image.sh")" || die "building the pause image failed"
  pause_tag="$(basename "${pause_archive}" .oci.tar)"; pause_tag="${pause_tag#pause-}"
  write_containerd_config "${dir}" "${pause_tag}"
  ensure_cgroup_root "${i}"
  log "starting containerd for ${name} node ${i} (${dir}/containerd/containerd.sock)"
  start_bg "${dir}/containerd.pid" "${dir}/containerd.log" containerd --config "${dir}/containerd/config.toml"
  until ctr_cmd "${dir}" version >/dev/null 2>&1; do
    pid_alive "${dir}/containerd.pid" || { tail -n 20 "${dir}/containerd.log" >&2; die "containerd of ${name} node ${i} exited; see ${dir}/containerd.log"; }
    (( SECONDS < deadline )) || die "containerd of ${name} node ${i} did not answer in 60s; see ${dir}/containerd.log"
    sleep 0.2
  done
  ctr_cmd "${dir}" images import --base-name "${PAUSE_IMAGE_BASE}" "${pause_archive}" >/dev/null \
    || die "importing the pause image into containerd failed"
}

write_kubelet_config() {
  local name=$1 i=$2 dir="${RUN_DIR}/${1}/node${2}" pki="${RUN_DIR}/${1}/pki" node port healthz
  node="$(kubelet_node "${i}")"
  [[ -f "${dir}/kubelet-port" ]] || { free_port 10250 > "${dir}/kubelet-port"; free_port 10248 > "${dir}/kubelet-healthz-port"; }
  port=$(cat "${dir}/kubelet-port"); healthz=$(cat "${dir}/kubelet-healthz-port")
  cat > "${dir}/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Loopback only: the API (logs, exec) with client certificates and the apiserver's
# authorization; /healthz plain; no read-only port.
address: ${node}
port: ${port}
readOnlyPort: 0
healthzBindAddress: ${node}
healthzPort: ${healthz}
tlsCertFile: ${pki}/kubelet-serving-${i}.crt
tlsPrivateKeyFile: ${pki}/kubelet-serving-${i}.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${pki}/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://${dir}/containerd/containerd.sock
# This machine mounts cgroup v1 hierarchies (with an empty cgroup2 beside them): the kubelet
# refuses v1 unless told otherwise. cgroupfs like containerd's runc (SystemdCgroup = false).
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $(kubelet_cgroup_root "${i}")
podLogsDir: ${dir}/pod-logs
resolvConf: /etc/resolv.conf
failSwapOn: false
# A developer machine's disk runs fuller than a node's: only evict near the very end, and
# never garbage-collect images (the imported ones cannot be pulled again).
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
}

start_kubelet() {
  local bin=$1 name=$2 i=$3 dir="${RUN_DIR}/${2}/node${3}" node
  pid_alive "${dir}/kubelet.pid" && return
  [[ -x "${bin}/kubelet" ]] || die "${bin} has no kubelet; build it with hack/kube-binaries.sh --kubelet"
  node="$(kubelet_node "${i}")"
  mkdir -p "${dir}/kubelet" "${dir}/pod-logs"
  write_kubelet_config "${name}" "${i}"
  log "starting kubelet for ${name}: Node ${node} (port $(cat "${dir}/kubelet-port"))"
  start_bg "${dir}/kubelet.pid" "${dir}/kubelet.log" "${bin}/kubelet" \
    --config "${dir}/kubelet-config.yaml" --kubeconfig "${dir}/kubelet.kubeconfig" \
    --root-dir "${dir}/kubelet" --hostname-override "${node}" \
    --node-labels "kfed.io/local-node=true,kfed.io/kubelet=true" --v 1
}

# Waits until the kubelet's Node is Ready (the runtime answered, the CNI network loaded).
ensure_kubelet_node() {
  local bin=$1 name=$2 i=$3 dir="${RUN_DIR}/${2}/node${3}" deadline=$((SECONDS + ${KFED_START_TIMEOUT:-180}))
  local node ready component
  node="$(kubelet_node "${i}")"
  while true; do
    ready=$("${bin}/kubectl" --kubeconfig "${RUN_DIR}/${name}/kubeconfig" get node "${node}" \
      -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
    [[ "${ready}" == True ]] && break
    for component in containerd kubelet; do
      if ! pid_alive "${dir}/${component}.pid"; then
        tail -n 20 "${dir}/${component}.log" >&2 || true
        die "${component} of ${name} node ${i} exited; see ${dir}/${component}.log"
      fi
    done
    (( SECONDS < deadline )) || die "Node ${node} of ${name} not Ready after ${KFED_START_TIMEOUT:-180}s; see ${dir}/kubelet.log"
    sleep 0.5
  done
}

start_kubelet_nodes() {
  local bin=$1 name=$2 i
  for i in $(seq 1 "$(kubelet_count "${name}")"); do
    start_containerd "${name}" "${i}"
    start_kubelet "${bin}" "${name}" "${i}"
  done
  for i in $(seq 1 "$(kubelet_count "${name}")"); do ensure_kubelet_node "${bin}" "${name}" "${i}"; done
}

# Imports an OCI archive (e.g. hack/image.sh's) into every host node's containerd.
cmd_import_image() {
  local name=host archive=${1:-} base=${2:-} i dir
  [[ -f "${archive}" && -n "${base}" ]] || die "usage: $0 import-image ARCHIVE BASE_NAME (e.g. docker.io/library/kfed)"
  (( $(kubelet_count "${name}") > 0 )) || die "the host has no kubelet (up --host-kubelet)"
  for i in $(seq 1 "$(kubelet_count "${name}")"); do
    dir="${RUN_DIR}/${name}/node${i}"
    pid_alive "${dir}/containerd.pid" || die "containerd of ${name} node ${i} is not running"
    ctr_cmd "${dir}" images import --base-name "${base}" "${archive}" >/dev/null || die "importing ${archive} failed"
  done
  log "imported ${archive} as ${base} into the containerd of each of the $(kubelet_count "${name}") host nodes"
}

# stop/kill: the kubelets, then their containerds (after the cluster's other processes). The
# shims keep the Pods' containers running meanwhile, as on a real node whose runtime restarts.
stop_kubelet_nodes() {
  local name=$1 signal=$2 i f pid component
  for component in kubelet containerd; do
    for i in $(seq 1 "$(kubelet_count "${name}")"); do
      f="${RUN_DIR}/${name}/node${i}/${component}.pid"
      if [[ "${signal}" == TERM ]]; then stop_pid "${f}" "${name} node ${i} ${component}"; continue; fi
      pid_alive "$f" || continue
      pid=$(cat "$f")
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$f" || break; sleep 0.1; done
      log "killed ${component} of ${name} node ${i} (pid ${pid})"
      rm -f "$f"
    done
  done
}

# `down` of a node: its Pods' containers outlive the kubelet and containerd, so they are
# killed through containerd, then whatever is left in the node's cgroup tree or still runs
# a shim of its containerd; then the mounts under its directory go, and its cgroups.
teardown_kubelet_node() {
  local name=$1 i=$2 dir="${RUN_DIR}/${1}/node${2}" t pids p root d
  stop_pid "${dir}/kubelet.pid" "${name} node ${i} kubelet"
  if pid_alive "${dir}/containerd.pid"; then
    for t in $(ctr_cmd "${dir}" tasks ls -q 2>/dev/null); do
      ctr_cmd "${dir}" tasks kill --signal SIGKILL "${t}" >/dev/null 2>&1 || true
    done
    for t in $(ctr_cmd "${dir}" tasks ls -q 2>/dev/null); do
      for _ in $(seq 1 25); do ctr_cmd "${dir}" tasks delete "${t}" >/dev/null 2>&1 && break; sleep 0.2; done
    done
  fi
  stop_pid "${dir}/containerd.pid" "${name} node ${i} containerd"
  root="$(kubelet_cgroup_root "${i}")"
  for d in $(cgroup_v1_dirs); do
    [[ -d "${d}${root}" ]] || continue
    pids=$(find "${d}${root}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    for p in ${pids}; do kill -KILL "${p}" 2>/dev/null || true; done
  done
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' < "${p}/cmdline" 2>/dev/null | grep -q "^containerd-shim.* -address ${dir}/containerd/containerd.sock"; then
      kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
  sleep 0.5
  # Deepest first; lazily, so a mount still busy for a moment cannot keep the rest.
  awk -v d="${dir}/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "${m}" 2>/dev/null || true
  done
  for d in $(cgroup_v1_dirs); do
    [[ -d "${d}${root}" ]] && find "${d}${root}" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  # The kubelet links every container's log from /var/log/containers (a fixed path): only
  # the links into this node's directory go.
  for p in /var/log/containers/*; do
    [[ -L "${p}" && "$(readlink "${p}")" == "${dir}/"* ]] && rm -f "${p}"
  done
  return 0
}

readyz() {
  local name=$1 dir="${RUN_DIR}/${1}" port
  port=$(cat "${dir}/port")
  curl -s --max-time 3 --cacert "${dir}/pki/ca.crt" --cert "${dir}/pki/admin.crt" --key "${dir}/pki/admin.key" \
    "https://127.0.0.1:${port}/readyz" 2>/dev/null
}

# wait_ready NAME BIN: waits for the apiserver, then starts its controller manager and scheduler:
# started beside a loaded apiserver, kube-controller-manager gives up after 10 s when the
# apiserver's RBAC bootstrap (a readyz check) has not yet let it read /healthz.
wait_ready() {
  local name=$1 bin=$2 dir="${RUN_DIR}/${1}" deadline=$((SECONDS + ${KFED_START_TIMEOUT:-180}))
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
  # Only now: a kube-controller-manager started beside a loaded apiserver gave up after 10 s
  # of "forbidden: cannot get path /healthz" (the RBAC bootstrap roles, which /readyz waits
  # for, were not there yet) and exited.
  start_controller_manager "${bin}" "${name}"
  start_scheduler "${bin}" "${name}"
  local component log
  for component in controller-manager scheduler; do
    [[ "${component}" == controller-manager ]] || has_nodes "${name}" || continue
    if ! pid_alive "${dir}/${component}.pid" && [[ -n "${bin:-}" ]]; then
      # On a heavily loaded machine it can still give up early (its first /healthz calls
      # time out): once more.
      log "${component} of ${name} exited before the apiserver was ready; starting it again"
      "start_${component//-/_}" "${bin}" "${name}"
      sleep 3
    fi
    if ! pid_alive "${dir}/${component}.pid"; then
      log="$(component_log "${component}")"
      tail -n 20 "${dir}/${log}" >&2 || true
      die "${component} of ${name} exited; see ${dir}/${log}"
    fi
  done
}

component_log() {
  case "$1" in
    apiserver) echo kube-apiserver.log ;;
    controller-manager) echo kube-controller-manager.log ;;
    scheduler) echo kube-scheduler.log ;;
    kwok) echo kwok.log ;;
    containerd) echo containerd.log ;;
    kubelet) echo kubelet.log ;;
  esac
}

# A cluster's processes, in the order they stop: the ones that need the apiserver first.
COMPONENTS_STOP_ORDER=(kwok scheduler controller-manager apiserver)

# Starts the apiserver; wait_ready starts its clients once it is ready, and kwok or the
# kubelets follow in start_nodes.
start_cluster() {
  start_apiserver "$1" "$2"
}

# After wait_ready: kwok, then the Nodes exist and are Ready; or containerd and the kubelet,
# then its Node is Ready.
start_nodes() {
  has_nodes "$2" || return 0
  if has_kubelet "$2"; then
    start_kubelet_nodes "$1" "$2"
    return
  fi
  start_kwok "$1" "$2"
  ensure_nodes "$1" "$2"
}

# --- commands -----------------------------------------------------------------------------
cmd_up() {
  local members="${KFED_MEMBERS:-2}" nodes="${KFED_NODES:-2}" node_cpu="${KFED_NODE_CPU:-4}"
  local node_memory="${KFED_NODE_MEMORY:-8Gi}" node_pods="${KFED_NODE_PODS:-110}" host_nodes=0 host_kubelet=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --members|--nodes|--node-cpu|--node-memory|--node-pods)
        [[ $# -ge 2 ]] || die "$1 needs a value (see --help)"
        local var="${1#--}"; var="${var//-/_}"
        printf -v "${var}" '%s' "$2"; shift 2 ;;
      --members=*|--nodes=*|--node-cpu=*|--node-memory=*|--node-pods=*)
        local var="${1%%=*}"; var="${var#--}"; var="${var//-/_}"
        printf -v "${var}" '%s' "${1#*=}"; shift ;;
      --host-nodes) host_nodes=1; shift ;;
      --host-kubelet) host_kubelet=2; shift ;;
      --host-kubelets)
        [[ $# -ge 2 && "$2" =~ ^[1-9]$ ]] || die "--host-kubelets takes a number from 1 to 9"
        host_kubelet=$2; shift 2 ;;
      *) die "unknown flag for up: $1 (see --help)" ;;
    esac
  done
  [[ "${members}" =~ ^[0-9]+$ ]] || die "--members takes a number, got '${members}'"
  (( host_nodes && host_kubelet > 0 )) && die "--host-nodes and --host-kubelet exclude each other"
  [[ "${nodes}" =~ ^[0-9]+$ ]] || die "--nodes takes a number, got '${nodes}'"
  [[ "${node_pods}" =~ ^[1-9][0-9]*$ ]] || die "--node-pods takes a positive number, got '${node_pods}'"
  [[ "${node_cpu}" =~ ^[0-9]+(\.[0-9]+|m)?$ ]] || die "--node-cpu takes a quantity (4, 2.5, 500m), got '${node_cpu}'"
  [[ "${node_memory}" =~ ^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$ ]] || die "--node-memory takes a quantity (8Gi, 512Mi), got '${node_memory}'"
  # Everything that shapes the clusters; a different answer on a second `up` recreates them.
  local config="members=${members} nodes=${nodes} node-cpu=${node_cpu} node-memory=${node_memory} node-pods=${node_pods} host-nodes=${host_nodes}"
  (( host_kubelet > 0 )) && config+=" host-kubelets=${host_kubelet}"
  command -v openssl >/dev/null || die "openssl is not installed (run hack/install-deps.sh)"
  command -v curl >/dev/null || die "curl is not installed (run hack/install-deps.sh)"
  local bin start=${SECONDS}
  bin="$(kube_bin)"
  if (( host_kubelet > 0 )) && [[ ! -x "${bin}/kubelet" ]]; then
    [[ -z "${KFED_KUBE_BIN:-}" ]] || die "${bin} has no kubelet (build it with hack/kube-binaries.sh --kubelet)"
    "${REPO}/hack/kube-binaries.sh" --kubelet >/dev/null || die "building kubelet failed"
  fi
  mkdir -p "${RUN_DIR}"
  echo "${bin}" > "${RUN_DIR}/bin"
  if [[ -f "${RUN_DIR}/clusters" ]]; then
    local have
    have="$(cat "${RUN_DIR}/config" 2>/dev/null || echo "members=$(( $(wc -l < "${RUN_DIR}/clusters") - 1 )) (no nodes)")"
    if [[ "${have}" != "${config}" ]]; then
      log "the running set has ${have}; asked: ${config}: recreating"
      cmd_down
      mkdir -p "${RUN_DIR}"
      echo "${bin}" > "${RUN_DIR}/bin"
    fi
  fi
  if [[ ! -f "${RUN_DIR}/clusters" ]]; then
    { echo host; for i in $(seq 1 "${members}"); do echo "member${i}"; done; } > "${RUN_DIR}/clusters"
    echo "${config}" > "${RUN_DIR}/config"
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
    if (( nodes > 0 )) && [[ "${name}" != host || ${host_nodes} == 1 ]]; then
      make_node_certs "${name}"
      write_kubeconfig "${dir}/scheduler.kubeconfig" "${name}" "$(cat "${dir}/port")" scheduler kube-scheduler
      write_kubeconfig "${dir}/kwok.kubeconfig" "${name}" "$(cat "${dir}/port")" kwok kwok-controller
      [[ -f "${dir}/nodes.yaml" ]] || write_nodes "${name}" "${nodes}" "${node_cpu}" "${node_memory}" "${node_pods}"
    fi
    if [[ "${name}" == host ]] && (( host_kubelet > 0 )); then
      make_node_certs "${name}"
      write_kubeconfig "${dir}/scheduler.kubeconfig" "${name}" "$(cat "${dir}/port")" scheduler kube-scheduler
      for i in $(seq 1 "${host_kubelet}"); do
        make_kubelet_certs "${name}" "${i}"
        mkdir -p "${dir}/node${i}"
        write_kubeconfig "${dir}/node${i}/kubelet.kubeconfig" "${name}" "$(cat "${dir}/port")" "kubelet-${i}" "system:node:$(kubelet_node "${i}")"
      done
      echo "${host_kubelet}" > "${dir}/kubelet.enabled"
    fi
    start_cluster "${bin}" "${name}"
    port=$(( $(cat "${dir}/port") + 1 ))
  done
  write_merged_kubeconfig
  for name in $(cluster_names); do wait_ready "${name}" "${bin}"; log "${name} is ready"; done
  for name in $(cluster_names); do
    has_nodes "${name}" || continue
    start_nodes "${bin}" "${name}"
    if has_kubelet "${name}"; then
      log "${name}: $(kubelet_count "${name}") real Nodes Ready (a kubelet and a containerd each): $(seq 1 "$(kubelet_count "${name}")" | sed 's/^/127.0.0./' | tr '\n' ' ')"
    else
      log "${name}: $(grep -c '^kind: Node$' "${RUN_DIR}/${name}/nodes.yaml") Nodes Ready (cpu ${node_cpu}, memory ${node_memory}, pods ${node_pods} each)"
    fi
  done
  log "clusters up in $((SECONDS - start))s: $(cluster_names | tr '\n' ' ')"
  log "kubeconfig: ${RUN_DIR}/kubeconfig (contexts: $(cluster_names | tr '\n' ' '))"
  log "try: ${bin}/kubectl --kubeconfig ${RUN_DIR}/kubeconfig --context member1 get ns"
}

cmd_down() {
  [[ -d "${RUN_DIR}" ]] || { log "nothing to stop (${RUN_DIR} does not exist)"; return; }
  local name
  for name in $(cluster_names); do
    for i in $(seq 1 "$(kubelet_count "${name}")"); do teardown_kubelet_node "${name}" "${i}"; done
    stop_cluster "${name}"
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

stop_cluster() {
  local component
  for component in "${COMPONENTS_STOP_ORDER[@]}"; do
    stop_pid "${RUN_DIR}/$1/${component}.pid" "$1 ${component}"
  done
  stop_kubelet_nodes "$1" TERM
}

cmd_stop() {
  require_cluster "${1:-}"
  stop_cluster "$1"
}

cmd_kill() {
  require_cluster "${1:-}"
  local component f pid
  for component in "${COMPONENTS_STOP_ORDER[@]}"; do
    f="${RUN_DIR}/$1/${component}.pid"
    pid_alive "$f" || continue
    pid=$(cat "$f")
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$f" || break; sleep 0.1; done
    log "killed ${component} of $1 (pid ${pid})"
    rm -f "$f"
  done
  stop_kubelet_nodes "$1" KILL
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
  wait_ready "$1" "${bin}"
  start_nodes "${bin}" "$1"
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
    local component
    for component in controller-manager scheduler kwok $(seq 1 "$(kubelet_count "${name}")" | sed 's#^\(.*\)$#node\1/containerd node\1/kubelet#'); do
      case "${component}" in
        scheduler) has_nodes "${name}" || continue ;;
        kwok) has_kwok "${name}" || continue ;;
      esac
      pid=stopped
      pid_alive "${dir}/${component}.pid" && pid=$(cat "${dir}/${component}.pid")
      [[ "${pid}" != stopped ]] || rc=1
      printf '%-10s %-24s %-8s %s\n' "" "${component}" "${pid}" -
    done
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
  import-image) cmd_import_image "${2:-}" "${3:-}" ;;
  serve) cmd_serve ;;  # `serve RUN_DIR`: the argument only marks the process as this run's
  -h|--help|help) usage ;;
  "") usage; exit 2 ;;
  *) usage >&2; die "unknown command '$1'" ;;
esac
