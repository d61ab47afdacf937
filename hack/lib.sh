# Shared by the hack/ scripts that check kfed on clusters of their own (hack/incluster-e2e.sh,
# hack/migration-e2e.sh, hack/kubefed-e2e.sh); sourced, not run:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   lib_init TAG RUN_DIR_NAME
# Defines the log lines every such script prints (step, ok, die, tagged with TAG), the usage
# text taken from the script's header comment, the --keep command line, polling a command
# with a deadline (never a fixed sleep), and taking the clusters down unless --keep.

# lib_init TAG RUN_DIR_NAME: sets LIB_TAG; REPO (the repository root, also the working
# directory from now on); KFED_CACHE (default ~/.cache/kfed) and KFED_RUN_DIR (default
# <repo>/.run/RUN_DIR_NAME), both exported; KEEP=0.
lib_init() {
  LIB_TAG=$1
  REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "${REPO}" || exit 1
  KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
  export KFED_CACHE
  export KFED_RUN_DIR="${KFED_RUN_DIR:-${REPO}/.run/$2}"
  KEEP=0
}

# "==> [TAG] HH:MM:SS what": a step begins.
step() { echo "==> [${LIB_TAG}] $(date +%H:%M:%S) $*"; }
# "[TAG] ok: what": a check passed.
ok() { echo "[${LIB_TAG}] ok: $*"; }
# "[TAG] FAIL: what", then exit 1: the script cannot go on.
die() { echo "[${LIB_TAG}] FAIL: $*"; exit 1; }

# usage: prints the running script's header comment (the "#" lines after the first line, up
# to the first other line) without the leading "# ".
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

# parse_keep_flag "$@": the command line of a script taking only --keep (sets KEEP=1) and
# -h/--help (usage, exit 0); anything else exits 2 naming it.
parse_keep_flag() {
  case "${1:-}" in
    --keep) KEEP=1 ;;
    "") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
}

# poll_until SECONDS INTERVAL COMMAND...: runs COMMAND (output discarded) every INTERVAL
# seconds until it succeeds (0) or SECONDS have passed (1).
poll_until() {
  local seconds=$1 interval=$2 deadline
  shift 2
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || return 1
    sleep "${interval}"
  done
  return 0
}

# clusters_down_unless_keep: hack/local-clusters.sh down for KFED_RUN_DIR, unless --keep.
clusters_down_unless_keep() {
  (( KEEP )) || hack/local-clusters.sh down >/dev/null 2>&1 || true
}

# helm_install_retrying TAG OUT -- INSTALL... -- UNINSTALL...: runs the helm command line
# INSTALL (stdout and stderr to the file OUT). On a brand-new host the apiserver may refuse
# the chart's KubeFedConfig for a moment after the CRDs are Established ("Resource kind
# core.kubefed.io/v1beta1, Kind=KubeFedConfig not found. There can be a delay between when
# CustomResourceDefinitions are created and when they are available."): the admission policy
# that defaults KubeFedConfigs does not resolve the new kind yet. Then, as the user guide
# says, UNINSTALL removes the failed release (the CRDs stay) and INSTALL runs again: at most
# 5 times, each retry reported as "[TAG] note: ...". Returns INSTALL's last status.
helm_install_retrying() {
  local tag=$1 out=$2 try=0
  shift 2
  [[ $1 == -- ]] || { echo "helm_install_retrying: expected -- INSTALL... -- UNINSTALL..." >&2; return 2; }
  shift
  local install=() uninstall=()
  while (($#)) && [[ $1 != -- ]]; do install+=("$1"); shift; done
  (($#)) && shift
  uninstall=("$@")
  while :; do
    "${install[@]}" >"${out}" 2>&1 && return 0
    grep -q "There can be a delay between when CustomResourceDefinitions are created" "${out}" \
      && ((try < 5)) || return 1
    try=$((try + 1))
    echo "[${tag}] note: helm install met the new CRDs' delay; uninstall and install again (${try})"
    "${uninstall[@]}" >/dev/null 2>&1
    sleep 2
  done
}
