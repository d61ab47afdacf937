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
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
NS=kube-federation-system
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

if (( failed )); then echo "[chart] FAILED"; exit 1; fi
echo "[chart] all checks passed"
