#!/usr/bin/env bash
# Joins member clusters to the host by hand (what `kfedctl join` will automate): in each
# member, a ServiceAccount with a long-lived token Secret bound to cluster-admin in the
# federation namespace; in the host, the token Secret and a KubeFedCluster.
#
# Usage: hack/join-local.sh [--kubeconfig FILE] [--host-context host] [--kubefed-namespace NS] MEMBER...
# Safe to run twice.
set -euo pipefail

KUBECONFIG_FILE="${KUBECONFIG:-}"
HOST=host
NS=kube-federation-system
KUBECTL="${KUBECTL:-kubectl}"
members=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kubeconfig) KUBECONFIG_FILE="$2"; shift 2 ;;
    --host-context) HOST="$2"; shift 2 ;;
    --kubefed-namespace) NS="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) members+=("$1"); shift ;;
  esac
done
[[ ${#members[@]} -gt 0 ]] || { echo "name at least one member context (see --help)" >&2; exit 2; }
k() { "${KUBECTL}" --kubeconfig "${KUBECONFIG_FILE}" "$@"; }

k --context "${HOST}" create namespace "${NS}" --dry-run=client -o yaml | k --context "${HOST}" apply -f - >/dev/null
for m in "${members[@]}"; do
  sa="kfed-${m}"
  k --context "${m}" create namespace "${NS}" --dry-run=client -o yaml | k --context "${m}" apply -f - >/dev/null
  k --context "${m}" -n "${NS}" create serviceaccount "${sa}" --dry-run=client -o yaml | k --context "${m}" apply -f - >/dev/null
  k --context "${m}" create clusterrolebinding "kfed-controller-manager:${sa}" --clusterrole=cluster-admin \
    --serviceaccount="${NS}:${sa}" --dry-run=client -o yaml | k --context "${m}" apply -f - >/dev/null
  cat <<YAML | k --context "${m}" apply -f - >/dev/null
apiVersion: v1
kind: Secret
metadata:
  name: ${sa}-token
  namespace: ${NS}
  annotations:
    kubernetes.io/service-account.name: ${sa}
type: kubernetes.io/service-account-token
YAML
  token=""
  for _ in $(seq 1 100); do
    token=$(k --context "${m}" -n "${NS}" get secret "${sa}-token" -o jsonpath='{.data.token}' 2>/dev/null || true)
    [[ -n "${token}" ]] && break
    sleep 0.2
  done
  [[ -n "${token}" ]] || { echo "member ${m}: the token controller did not fill secret ${sa}-token" >&2; exit 1; }
  server=$(k config view --raw -o jsonpath="{.clusters[?(@.name==\"${m}\")].cluster.server}")
  ca=$(k config view --raw -o jsonpath="{.clusters[?(@.name==\"${m}\")].cluster.certificate-authority-data}")
  cat <<YAML | k --context "${HOST}" apply -f - >/dev/null
apiVersion: v1
kind: Secret
metadata:
  name: ${m}-secret
  namespace: ${NS}
type: Opaque
data:
  token: ${token}
---
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata:
  name: ${m}
  namespace: ${NS}
spec:
  apiEndpoint: ${server}
  caBundle: ${ca}
  secretRef:
    name: ${m}-secret
YAML
  echo "joined ${m} (${server})"
done
