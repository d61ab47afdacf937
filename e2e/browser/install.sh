#!/usr/bin/env bash
# Installs the browser test's npm dependencies (playwright-core, pinned by package-lock.json)
# outside the source tree and Bazel's sandbox, under ${KFED_CACHE:-~/.cache/kfed}/browser, and
# prints the node_modules directory (hack/test.sh passes it to the test as
# KFED_BROWSER_NODE_MODULES). `npm ci` runs only when the lock file changed or the install is
# incomplete, so a second run needs no network. No browser is downloaded: the test drives
# Debian's chromium (/usr/bin/chromium).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
DEST="${KFED_CACHE}/browser"
log() { echo "[browser-deps] $*" >&2; }

command -v node >/dev/null || { log "ERROR: node is not installed (Node.js 20 or newer)"; exit 1; }
command -v npm >/dev/null || { log "ERROR: npm is not installed"; exit 1; }
mkdir -p "${DEST}"

installed() {
  cmp -s "${HERE}/package-lock.json" "${DEST}/package-lock.json" &&
    [[ -f "${DEST}/node_modules/playwright-core/package.json" ]]
}

if ! installed; then
  # One installer at a time (helpers and CI may share the cache).
  exec 9>"${DEST}.lock"
  flock 9
  if ! installed; then
    log "npm ci in ${DEST}"
    cp "${HERE}/package.json" "${HERE}/package-lock.json" "${DEST}/"
    (cd "${DEST}" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit \
      --no-fund --loglevel=error) >&2 || { log "ERROR: npm ci failed"; exit 1; }
  fi
fi
echo "${DEST}/node_modules"
