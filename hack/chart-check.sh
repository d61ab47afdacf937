#!/usr/bin/env bash
# Checks the Helm chart charts/kfed and the plain manifests made from it, without a cluster:
# helm lint; helm template with the default values and with overrides (scope Namespaced,
# tls.certSecret, the ServiceMonitor, one replica), each rendering parsed and checked by
# hack/chart_check.py (secure serving, probes, RBAC equal to config/rbac/host/, KubeFedConfig,
# FederatedTypeConfigs and their CRDs); values the chart must refuse (--insecure-local);
# the chart's CRDs equal to federated_types/crds/; config/deploy/ equal to a fresh render.
#
# Prints one line per check ("[chart] ok: ..." or "[chart] FAIL: ...") and exits non-zero when
# any fails. hack/test.sh runs it (//hack:chart_check). Helm comes from hack/helm.sh.
#
# --install also installs the chart into a real kube-apiserver (a host of its own from
# hack/local-clusters.sh, on loopback; there is no kubelet, so no pod runs): the CRDs, the
# FederatedTypeConfigs and the KubeFedConfig must pass the apiserver's schemas and CEL rules;
# the controller binary (KFED_CONTROLLER_BIN, default bazel-bin/controller/kfed-controller-manager)
# then runs outside the cluster as the chart's ServiceAccount with the Deployment's flags, and
# must take the leader locks, become ready and answer /metrics to a kfed-status-viewer token
# only; helm upgrade changes the flags; helm uninstall keeps the FederatedTypeConfigs and
# CRDs; a second install adopts them.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
# helm_install_retrying; this script's own ok/fail (below) replace lib.sh's.
# shellcheck source=hack/lib.sh
source hack/lib.sh
NS=kube-federation-system
INSTALL=0
case "${1:-}" in
  --install) INSTALL=1 ;;
  "") ;;
  -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
esac
CHART=charts/kfed
failed=0
ok() { echo "[chart] ok: $*"; }
fail() { echo "[chart] FAIL: $*"; failed=1; }

HELM="$(hack/helm.sh)" || { fail "hack/helm.sh could not build helm"; exit 1; }
ok "helm $("${HELM}" version --short) (${HELM})"
WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT

# The chart's appVersion is kfed's version (the image tag hack/image.sh builds).
app_version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "${CHART}/Chart.yaml")"
kfed_version="$(sed -n 's/.*kKfedVersion\[\] = "\([^"]*\)".*/\1/p' kube/transport.h)"
if [[ -n "${app_version}" && "${app_version}" == "${kfed_version}" ]]; then
  ok "Chart.yaml appVersion ${app_version} = kfed's version (kube/transport.h)"
else
  fail "Chart.yaml appVersion '${app_version}' != kfed's version '${kfed_version}' (kube/transport.h)"
fi

if out="$("${HELM}" lint --strict "${CHART}" --namespace "${NS}" 2>&1)"; then
  ok "helm lint --strict ${CHART}"
else
  fail "helm lint --strict ${CHART}:"; echo "${out}" | sed 's/^/    /'
fi

# render CASE [HELM_FLAGS...]: helm template, then hack/chart_check.py CASE.
render() {
  local case=$1; shift
  local out="${WORK}/${case}.yaml" problems
  if ! "${HELM}" template kfed "${CHART}" --namespace "${NS}" --include-crds "$@" > "${out}" 2> "${WORK}/${case}.err"; then
    fail "helm template (${case}: $*) failed:"; sed 's/^/    /' "${WORK}/${case}.err"; return
  fi
  if problems="$(python3 hack/chart_check.py "${case}" "${NS}" --crds < "${out}")"; then
    ok "helm template (${case}${*:+: $*}): $(grep -c '^kind:' "${out}") objects parse and hold"
  else
    fail "helm template (${case}${*:+: $*}):"; echo "${problems}" | sed 's/^/    /'
  fi
}
render default
render namespaced --set global.scope=Namespaced
render certsecret --set tls.certSecret=kfed-serving-cert
render servicemonitor --set metrics.serviceMonitor.enabled=true \
  --set metrics.prometheusServiceAccount.name=prometheus-k8s \
  --set metrics.prometheusServiceAccount.namespace=monitoring
render replicas1 --set controllermanager.replicaCount=1

# refuse WHAT HELM_FLAGS...: the chart must refuse to render with these values.
refuse() {
  local what=$1; shift
  if "${HELM}" template kfed "${CHART}" --namespace "${NS}" "$@" > /dev/null 2> "${WORK}/refuse.err"; then
    fail "helm template rendered ${what} ($*); it must refuse"
  elif grep -q 'Error: execution error' "${WORK}/refuse.err"; then
    ok "refused: ${what}: $(sed -n 's/^Error: execution error at ([^)]*): //p' "${WORK}/refuse.err" | head -1 | cut -c1-90)"
  else
    fail "helm template with ${what} failed otherwise than by the chart's check:"; sed 's/^/    /' "${WORK}/refuse.err"
  fi
}
refuse "insecureLocal" --set insecureLocal=true
refuse "--insecure-local in extraArgs" --set 'controllermanager.controller.extraArgs={--insecure-local}'
refuse "scope Global" --set global.scope=Global
refuse "metricsAddr without a port" --set metricsAddr=0.0.0.0

# No kubectl here: even `kubectl apply --dry-run=client` asks a server for its API resources
# (and for the CRDs' kinds), so without a cluster hack/chart_check.py is what parses the
# renderings and checks them.

# The plain manifests parse and hold what the chart's rendering must (kubectl applies them
# document by document: a file that merged two CRDs into one would lose one).
for spec in "crds:config/deploy/crds.yaml" "default:config/deploy/kfed.yaml"; do
  case_name="${spec%%:*}" f="${spec#*:}"
  if problems="$(python3 hack/chart_check.py "${case_name}" "${NS}" < "${f}")"; then
    ok "${f} parses and holds ($(grep -c '^kind:' "${f}") objects)"
  else
    fail "${f}:"; echo "${problems}" | sed 's/^/    /'
  fi
done

# The chart's copies of federated_types/crds/ and config/deploy/ equal a fresh run of
# hack/update-deploy.sh.
if ! hack/update-deploy.sh --out "${WORK}/fresh" > "${WORK}/update.out" 2>&1; then
  fail "hack/update-deploy.sh --out failed:"; sed 's/^/    /' "${WORK}/update.out"
else
  for dir in crds files/federatedtypeconfigs; do
    if d="$(diff -r "${CHART}/${dir}" "${WORK}/fresh/${CHART}/${dir}")"; then
      ok "${CHART}/${dir} = federated_types/crds/ ($(find "${CHART}/${dir}" -name '*.yaml' | wc -l) files)"
    else
      fail "${CHART}/${dir} differs from federated_types/crds/: run hack/update-deploy.sh"
      echo "${d}" | head -10 | sed 's/^/    /'
    fi
  done
  for f in config/deploy/crds.yaml config/deploy/kfed.yaml; do
    if d="$(diff "${f}" "${WORK}/fresh/${f}")"; then
      ok "${f} = a fresh render ($(grep -c '^kind:' "${f}") objects)"
    else
      fail "${f} is stale: run hack/update-deploy.sh"
      echo "${d}" | head -10 | sed 's/^/    /'
    fi
  done
fi

# --- --install: into a real kube-apiserver ------------------------------------------------
CONTROLLER_PID=""
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
install_check() {
  local kube_bin run kc controller ports args token viewer nobody code i
  kube_bin="${KFED_KUBE_BIN:-$(hack/kube-binaries.sh --print)}"
  [[ -x "${kube_bin}/kube-apiserver" ]] || { fail "--install: no kube-apiserver in ${kube_bin} (run hack/kube-binaries.sh)"; return; }
  run="${WORK}/cluster"
  export KFED_RUN_DIR="${run}" KFED_KUBE_BIN="${kube_bin}"
  # shellcheck disable=SC2064  # run and WORK are fixed now; the pid is read at exit
  trap "[[ -n \"\${CONTROLLER_PID}\" ]] && kill \"\${CONTROLLER_PID}\" 2>/dev/null; KFED_RUN_DIR='${run}' hack/local-clusters.sh down >/dev/null 2>&1; rm -rf '${WORK}'" EXIT
  if ! hack/local-clusters.sh up --members 0 > "${WORK}/cluster.out" 2>&1; then
    fail "--install: could not start a host (hack/local-clusters.sh up --members 0):"; tail -5 "${WORK}/cluster.out" | sed 's/^/    /'; return
  fi
  kc="${run}/kubeconfig"
  k() { "${kube_bin}/kubectl" --kubeconfig "${kc}" --context host "$@"; }
  h() { "${HELM}" --kubeconfig "${kc}" --kube-context host --namespace "${NS}" "$@"; }
  # A brand-new host may refuse the chart's KubeFedConfig for a moment (hack/lib.sh).
  if ! helm_install_retrying chart "${WORK}/install.out" \
    -- h install kfed "${CHART}" --create-namespace -- h uninstall kfed --wait; then
    fail "--install: helm install:"; tail -5 "${WORK}/install.out" | sed 's/^/    /'; return
  fi
  local n_crds n_ftcs
  n_crds="$(k get crd -o name | grep -c 'kubefed.io$')"
  n_ftcs="$(k -n "${NS}" get federatedtypeconfigs -o name | wc -l)"
  if [[ "${n_crds}" == 17 && "${n_ftcs}" == 10 ]] && k -n "${NS}" get kubefedconfig kubefed >/dev/null 2>&1; then
    ok "--install: helm install into kube-apiserver $(k version -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | tail -1): ${n_crds} CRDs, ${n_ftcs} FederatedTypeConfigs and the KubeFedConfig accepted"
  else
    fail "--install: after helm install: ${n_crds} kfed CRDs (want 17), ${n_ftcs} FederatedTypeConfigs (want 10), KubeFedConfig: $(k -n "${NS}" get kubefedconfig kubefed -o name 2>&1)"
  fi

  # The controller as the chart's ServiceAccount, with the Deployment's flags (addresses moved
  # to free loopback ports, --cert-dir to a temporary directory, $(POD_NAME) expanded as the
  # kubelet would).
  controller="${KFED_CONTROLLER_BIN:-${REPO}/bazel-bin/controller/kfed-controller-manager}"
  if [[ ! -x "${controller}" ]]; then
    fail "--install: no controller binary at ${controller} (bazel build //controller:kfed-controller-manager, or set KFED_CONTROLLER_BIN)"
  else
    ports=("$(free_port)" "$(free_port)" "$(free_port)")
    mapfile -t args < <(k -n "${NS}" get deploy kfed-controller-manager -o jsonpath='{range .spec.template.spec.containers[0].args[*]}{@}{"\n"}{end}' \
      | sed "s#^--healthz-addr=.*#--healthz-addr=127.0.0.1:${ports[0]}#; s#^--metrics-addr=.*#--metrics-addr=127.0.0.1:${ports[1]}#; s#^--status-addr=.*#--status-addr=127.0.0.1:${ports[2]}#; s#^--cert-dir=.*#--cert-dir=${WORK}/certs#; s#\$(POD_NAME)#kfed-controller-manager-chart-check#")
    # The apiserver authorizes from an RBAC cache that lags the objects helm just created (on a
    # busy machine, for seconds): wait until it grants the ServiceAccount what leading needs, so
    # that a "forbidden" in the controller's log below means the chart's RBAC is missing a rule.
    local sa="system:serviceaccount:${NS}:kfed-controller-manager"
    if ! poll_until 60 0.5 k auth can-i create leases.coordination.k8s.io -n "${NS}" --as "${sa}" \
       || ! poll_until 60 0.5 k auth can-i list federatedtypeconfigs.core.kubefed.io -n "${NS}" --as "${sa}"; then
      fail "--install: the apiserver did not grant ${sa} create leases / list federatedtypeconfigs in ${NS} within 60 s of helm install"
    fi
    token="$(k -n "${NS}" create token kfed-controller-manager --duration 10m)"
    k config view --raw --minify -o json | python3 -c '
import json, sys
c = json.load(sys.stdin)
c["users"] = [{"name": "sa", "user": {"token": sys.argv[1]}}]
c["contexts"][0]["context"]["user"] = "sa"
json.dump(c, open(sys.argv[2], "w"))' "${token}" "${WORK}/sa-kubeconfig"
    "${controller}" --kubeconfig "${WORK}/sa-kubeconfig" "${args[@]}" > "${WORK}/controller.log" 2>&1 &
    CONTROLLER_PID=$!
    code=""
    for i in $(seq 1 240); do
      # Ready as the leader (a standby is ready too): it logged that it leads, then /readyz
      # says its caches synced. Leading needs every leader-election rule of the Role.
      code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[0]}/readyz" 2>/dev/null)"
      [[ "${code}" == 200 ]] && grep -q ': became leader' "${WORK}/controller.log" && break
      kill -0 "${CONTROLLER_PID}" 2>/dev/null || break
      sleep 0.5
    done
    if [[ "${code}" == 200 ]] && grep -q ': became leader' "${WORK}/controller.log" \
       && ! grep -qi forbidden "${WORK}/controller.log"; then
      ok "--install: the controller as ServiceAccount kfed-controller-manager with the chart's flags (${args[*]}) leads and is ready, nothing forbidden"
    else
      fail "--install: the controller with the chart's RBAC and flags (${args[*]}) did not lead and get ready in 120 s (/readyz ${code}), or logged forbidden:"
      grep -E '^[EWF]|forbidden' "${WORK}/controller.log" | head -5 | sed 's/^/    /'
      echo "    the log's last lines:"; tail -5 "${WORK}/controller.log" | sed 's/^/    /'
    fi
    k -n "${NS}" create serviceaccount kfed-viewer >/dev/null && k -n "${NS}" create serviceaccount nobody >/dev/null
    k create clusterrolebinding kfed-viewer --clusterrole kfed-status-viewer --serviceaccount "${NS}:kfed-viewer" >/dev/null
    viewer="$(k -n "${NS}" create token kfed-viewer)" nobody="$(k -n "${NS}" create token nobody)"
    # The CA as docs/user-guide.md fetches it: the second certificate the server sends.
    openssl s_client -connect "127.0.0.1:${ports[1]}" -showcerts </dev/null 2>/dev/null \
      | awk '/-----BEGIN CERTIFICATE-----/ {n++} n == 2' | sed '/-----END CERTIFICATE-----/q' > "${WORK}/ca.crt"
    code=""
    for token in "${viewer}" "${nobody}" ""; do
      code+="$(curl -s --cacert "${WORK}/ca.crt" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${token}" "https://127.0.0.1:${ports[1]}/metrics") "
    done
    if [[ "${code}" == "200 403 401 " ]]; then
      ok "--install: /metrics over verified TLS: kfed-status-viewer 200, another token 403, none 401"
    else
      fail "--install: /metrics answered ${code}(want 200 403 401 for kfed-status-viewer, another token, none)"
    fi
    kill "${CONTROLLER_PID}" 2>/dev/null; wait "${CONTROLLER_PID}" 2>/dev/null; CONTROLLER_PID=""
  fi

  if h upgrade kfed "${CHART}" --reuse-values --set controllermanager.controller.logLevel=2 > "${WORK}/upgrade.out" 2>&1 \
     && k -n "${NS}" get deploy kfed-controller-manager -o jsonpath='{.spec.template.spec.containers[0].args}' | grep -q -- '--v=2'; then
    ok "--install: helm upgrade --set controllermanager.controller.logLevel=2 changes the Deployment's -v"
  else
    fail "--install: helm upgrade:"; tail -5 "${WORK}/upgrade.out" | sed 's/^/    /'
  fi
  h uninstall kfed > "${WORK}/uninstall.out" 2>&1
  n_ftcs="$(k -n "${NS}" get federatedtypeconfigs -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}' | awk 'NF == 1' | wc -l)"
  n_crds="$(k get crd -o name | grep -c 'kubefed.io$')"
  if [[ "${n_ftcs}" == 10 && "${n_crds}" == 17 ]] && ! k -n "${NS}" get deploy kfed-controller-manager >/dev/null 2>&1; then
    ok "--install: helm uninstall removes the controller, keeps the 10 FederatedTypeConfigs (not deleting) and the 17 CRDs"
  else
    fail "--install: after helm uninstall: ${n_ftcs} FederatedTypeConfigs not being deleted (want 10), ${n_crds} CRDs (want 17)"
  fi
  if h install kfed "${CHART}" > "${WORK}/reinstall.out" 2>&1; then
    ok "--install: a second helm install adopts the kept FederatedTypeConfigs"
  else
    fail "--install: a second helm install:"; tail -3 "${WORK}/reinstall.out" | sed 's/^/    /'
  fi
}
(( INSTALL )) && install_check

if (( failed )); then echo "[chart] FAILED"; exit 1; fi
echo "[chart] all checks passed"
