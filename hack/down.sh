#!/usr/bin/env bash
# Stops what hack/up.sh started: kfed-controller-manager, then the local clusters.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KFED_RUN_DIR="${KFED_RUN_DIR:-${REPO}/.run/clusters}"
PIDFILE="${KFED_RUN_DIR}/kfed-controller-manager.pid"
if [[ -f "${PIDFILE}" ]] && kill -0 "$(cat "${PIDFILE}")" 2>/dev/null; then
  pid=$(cat "${PIDFILE}")
  if tr '\0' ' ' < "/proc/${pid}/cmdline" | grep -q kfed-controller-manager; then
    kill -TERM "${pid}"
    for _ in $(seq 1 150); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -0 "${pid}" 2>/dev/null && kill -KILL "${pid}"
    echo "[down] stopped kfed-controller-manager (pid ${pid})"
  fi
fi
"${REPO}/hack/local-clusters.sh" down
