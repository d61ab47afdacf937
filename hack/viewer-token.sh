#!/usr/bin/env bash
# Prints a bearer token that may read everything kfed's status API, dashboard and /metrics
# show: the ServiceAccount kfed-viewer in the federation namespace, bound to the
# kfed-status-viewer ClusterRole of config/rbac/host/cluster.yaml (both created when missing).
# For local clusters (hack/up.sh, bench/); in a real cluster bind that role, or a Role per
# namespace, to your users instead (docs/user-guide.md, "Who can see what").
#
# Usage: hack/viewer-token.sh --kubeconfig FILE [--context host] [--namespace NS] [--duration 24h]
# Environment: KUBECTL (default: kubectl on PATH).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBECONFIG_PATH="" CONTEXT=host NS=kube-federation-system DURATION=24h
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kubeconfig) KUBECONFIG_PATH=$2; shift 2 ;;
    --context) CONTEXT=$2; shift 2 ;;
    --namespace|-n) NS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n ${KUBECONFIG_PATH} ]] || { echo "--kubeconfig is required (see --help)" >&2; exit 2; }
k() { "${KUBECTL:-kubectl}" --kubeconfig "${KUBECONFIG_PATH}" --context "${CONTEXT}" "$@"; }
k apply -f "${REPO}/config/rbac/host/cluster.yaml" >/dev/null
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kfed-viewer
  namespace: ${NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kfed-viewer-${NS}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kfed-status-viewer
subjects:
- kind: ServiceAccount
  name: kfed-viewer
  namespace: ${NS}
YAML
k create token kfed-viewer -n "${NS}" --duration "${DURATION}"
