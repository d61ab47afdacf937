#!/usr/bin/env bash
# Runs every kfed test on a fresh Debian 12 machine: installs what is missing, builds the
# Kubernetes test binaries (cached), builds everything with Bazel, runs the unit tests (plain,
# then under ASan + UBSan), the concurrency tests under TSan (hack/tsan.sh), checks the
# container image (hack/image.sh --check) and the Helm chart (hack/chart-check.sh --install), runs
# kfed in a host with real kubelets (hack/incluster-e2e.sh), starts
# real local clusters and runs the e2e tests against them under ASan + UBSan (the controller
# manager and kfedctl they start are sanitized too), then KubeFed v0.10.0's own e2e suite
# (hack/kubefed-e2e.sh, Cluster then Namespaced scope) and the KubeFed -> kfed migration e2e (hack/migration-e2e.sh), each on
# fresh clusters of its own, then prints "N passed, N failed".
#
# Usage: hack/test.sh [--unit-only] [--e2e-only] [--no-sanitizers] [-- BAZEL_TEST_ARGS...]
#   --no-sanitizers  plain builds only (faster; CI runs the sanitizers)
# Environment: KFED_CACHE (default ~/.cache/kfed) holds the Bazel disk cache and binaries.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
export KFED_CACHE
RUN_UNIT=1
RUN_E2E=1
SANITIZERS=1
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --unit-only) RUN_E2E=0; shift ;;
    --e2e-only) RUN_UNIT=0; shift ;;
    --no-sanitizers) SANITIZERS=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done

step() { echo; echo "==> [test] $(date +%H:%M:%S) $*"; }
fail_step() { echo "==> [test] FAILED at step: $*" >&2; exit 1; }

BAZEL_FLAGS=(--disk_cache="${KFED_CACHE}/bazel-disk")

step "installing dependencies (hack/install-deps.sh)"
hack/install-deps.sh || fail_step "install dependencies"

step "building the Kubernetes test binaries and kubelet (hack/kube-binaries.sh --kubelet; cached by version)"
KUBE_BIN="$(hack/kube-binaries.sh --kubelet)" || fail_step "build Kubernetes binaries"
export KFED_KUBE_BIN="${KUBE_BIN}"

step "fetching the Multi-Cluster Services CRDs (hack/mcs-crds.sh; sigs.k8s.io/mcs-api, cached by version)"
MCS_CRDS="$(hack/mcs-crds.sh)" || fail_step "fetch the mcs-api CRDs"
export KFED_MCS_CRDS="${MCS_CRDS}"

step "installing the browser tests' npm packages (e2e/browser/install.sh; offline once installed)"
# playwright-core lives outside the source tree and Bazel's sandbox; the browser tests find it
# through KFED_BROWSER_NODE_MODULES (.bazelrc passes it to tests). A failure here fails those
# tests, not the whole run.
if BROWSER_NODE_MODULES="$(e2e/browser/install.sh)"; then
  export KFED_BROWSER_NODE_MODULES="${BROWSER_NODE_MODULES}"
else
  echo "==> [test] WARNING: e2e/browser/install.sh failed; the browser tests will fail" >&2
fi

step "building //... with Bazel"
bazel build "${BAZEL_FLAGS[@]}" //... || fail_step "bazel build //..."

RESULTS="$(mktemp -d)"
trap 'rm -rf "${RESULTS}"' EXIT

# run_tests LABEL TAG_FILTER [BAZEL_FLAGS... [-- TARGETS...]]: runs `bazel test` and records
# each target's status line and where its test.xml files are (the sanitizer configs build
# into their own output directories).
run_tests() {
  local label=$1 filter=$2 rc
  shift 2
  local flags=() targets=(//...)
  while [[ $# -gt 0 ]]; do
    if [[ "$1" == "--" ]]; then shift; targets=("$@"); break; fi
    flags+=("$1"); shift
  done
  step "running ${label} tests"
  bazel test "${BAZEL_FLAGS[@]}" "${flags[@]}" --test_tag_filters="${filter}" --build_tests_only \
    --test_summary=short "${EXTRA[@]}" "${targets[@]}" 2>&1 | tee "${RESULTS}/${label}.log"
  rc=${PIPESTATUS[0]}
  bazel info "${BAZEL_FLAGS[@]}" "${flags[@]}" bazel-testlogs 2>/dev/null \
    > "${RESULTS}/${label}.testlogs"
  # Exit code 4: no test targets matched the filter.
  [[ ${rc} -eq 4 ]] && return 0
  return ${rc}
}

# The e2e tests run once, sanitized: ASan + UBSan builds of the tests and of the binaries
# they start (docs/reliability.md, "Sanitizers", has the timings behind this choice).
E2E_FLAGS=(--config=sanitize --nocache_test_results)
(( SANITIZERS )) || E2E_FLAGS=(--nocache_test_results)

overall=0
if (( RUN_UNIT )); then
  run_tests unit "-e2e,-manual" || overall=1
  if (( SANITIZERS )); then
    run_tests unit-asan-ubsan "-e2e,-manual" --config=sanitize || overall=1
    step "Abseil sources for the TSan build (hack/abseil-src.sh)"
    if hack/abseil-src.sh >/dev/null; then
      run_tests tsan "-e2e,-manual" --config=tsan -- //kube/... //controller/... || overall=1
    else
      echo "==> [test] FAILED at step: fetch Abseil sources for TSan" >&2
      echo "//hack:abseil_src FAILED" >> "${RESULTS}/tsan.log"
      overall=1
    fi
  fi
fi

if (( RUN_UNIT )); then
  # The container image: built offline, then run for real with runc (both binaries, as uid
  # 65532, no shell inside).
  step "container image (hack/image.sh --check)"
  if hack/image.sh --check > "${RESULTS}/image.out" 2>&1; then
    echo "//hack:image_check PASSED" >> "${RESULTS}/image.log"
  else
    tail -20 "${RESULTS}/image.out"
    echo "//hack:image_check FAILED" >> "${RESULTS}/image.log"
    overall=1
  fi
  grep -E '^\[image\] (image|ok)' "${RESULTS}/image.out" || true
fi

if (( RUN_UNIT )); then
  # The Helm chart: helm (built from the Go module proxy, cached) lints and renders it with
  # several values; the renderings are checked; its CRDs and config/deploy/ are in sync; it is
  # installed, upgraded and uninstalled on a host of its own, where the controller built above
  # runs with the chart's RBAC and flags.
  step "Helm chart (hack/chart-check.sh --install)"
  # The plain build of `bazel build //...` (bazel-bin may point at another config by now).
  KFED_CONTROLLER_BIN="$(bazel info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)/controller/kfed-controller-manager"
  if KFED_CONTROLLER_BIN="${KFED_CONTROLLER_BIN}" hack/chart-check.sh --install > "${RESULTS}/chart.out" 2>&1; then
    echo "//hack:chart_check PASSED" >> "${RESULTS}/chart.log"
  else
    grep -v '^\[chart\] ok:' "${RESULTS}/chart.out" | tail -30
    echo "//hack:chart_check FAILED" >> "${RESULTS}/chart.log"
    overall=1
  fi
  grep -E '^\[chart\] (ok: helm v|all checks)' "${RESULTS}/chart.out" || true
fi

if (( RUN_E2E )); then
  # kfed inside the host: the image on real kubelets (containerd + runc), installed with the
  # chart; leader failover, upgrade and uninstall (hack/incluster-e2e.sh, clusters of its own,
  # down again before the e2e clusters start). It reuses the image built above when there is one.
  step "in-cluster e2e (hack/incluster-e2e.sh: the chart on real kubelets)"
  image_archive="$(tail -1 "${RESULTS}/image.out" 2>/dev/null || true)"
  [[ "${image_archive}" == *.oci.tar && -f "${image_archive}" ]] || image_archive=""
  if KFED_RUN_DIR="${REPO}/.run/incluster-clusters" KFED_IMAGE_ARCHIVE="${image_archive}" \
      hack/incluster-e2e.sh > "${RESULTS}/incluster.out" 2>&1; then
    echo "//hack:incluster_e2e PASSED" >> "${RESULTS}/incluster.log"
  else
    grep -v '^\[incluster\] ok:' "${RESULTS}/incluster.out" | tail -40
    echo "//hack:incluster_e2e FAILED" >> "${RESULTS}/incluster.log"
    overall=1
  fi
  grep -E '^\[incluster\] (measured|all checks)' "${RESULTS}/incluster.out" || true
fi

if (( RUN_E2E )); then
  export KFED_RUN_DIR="${REPO}/.run/test-clusters"
  step "starting local clusters for e2e (hack/local-clusters.sh up)"
  if hack/local-clusters.sh up; then
    trap 'hack/local-clusters.sh down >/dev/null 2>&1; rm -rf "${RESULTS}"' EXIT
    # Restarts that tests ask for run here, outside Bazel's process tree (see the launcher).
    hack/local-clusters.sh serve "${KFED_RUN_DIR}" >/dev/null 2>&1 &
    eval "$(hack/local-clusters.sh env)"
    export KFED_E2E_KUBECONFIG KFED_E2E_RUN_DIR KFED_KUBE_BIN
    # The controller runs with least privilege (config/rbac/host/, members joined with
    # kfedctl join): the e2e fixture's default, KFED_E2E_PRIVILEGES=admin turns it off.
    run_tests e2e "e2e,-manual,-e2e_last" "${E2E_FLAGS[@]}" || overall=1
    # Last: the credential scan reads the controller logs the suites above left behind.
    run_tests e2e-last "e2e_last,-manual" "${E2E_FLAGS[@]}" || overall=1
    # e2e results are never reused from Bazel's cache (--nocache_test_results in E2E_FLAGS):
    # the clusters are new each run.
  else
    echo "==> [test] FAILED at step: start local clusters" >&2
    overall=1
    echo "//e2e:local_clusters FAILED" >> "${RESULTS}/e2e.log"
  fi
fi

if (( RUN_E2E )); then
  # KubeFed v0.10.0's own e2e suite against kfed (the peer's binaries are built once and
  # cached), on fresh clusters of its own after the e2e clusters are gone. Its spec counts
  # land in the results like a Bazel target's (a test.xml under a testlogs directory).
  step "KubeFed's e2e suite (hack/kubefed-e2e.sh)"
  [[ -n "${KFED_RUN_DIR:-}" ]] && hack/local-clusters.sh down >/dev/null 2>&1
  mkdir -p "${RESULTS}/kubefed-e2e-logs/hack/kubefed_e2e"
  KFED_CONTROLLER_BIN="$(bazel info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)/controller/kfed-controller-manager"
  KFED_KFEDCTL_BIN="${KFED_CONTROLLER_BIN%/controller/kfed-controller-manager}/cli/kfedctl"
  if KFED_RUN_DIR="${REPO}/.run/kubefed-e2e" KFED_CONTROLLER_BIN="${KFED_CONTROLLER_BIN}" \
    KFED_KFEDCTL_BIN="${KFED_KFEDCTL_BIN}" hack/kubefed-e2e.sh \
    --junit "${RESULTS}/kubefed-e2e-logs/hack/kubefed_e2e/test.xml" > "${RESULTS}/kubefed-e2e.out" 2>&1; then
    echo "//hack:kubefed_e2e PASSED" >> "${RESULTS}/kubefed-e2e.log"
  else
    tail -30 "${RESULTS}/kubefed-e2e.out"
    echo "//hack:kubefed_e2e FAILED" >> "${RESULTS}/kubefed-e2e.log"
    overall=1
  fi
  echo "${RESULTS}/kubefed-e2e-logs" > "${RESULTS}/kubefed-e2e.testlogs"
  sed -n '/^KubeFed e2e: /,$p' "${RESULTS}/kubefed-e2e.out"

  # The same suite against a namespace-scoped control plane, as KubeFed's CI runs it second
  # (run-namespaced-e2e-tests): namespace foo, scope Namespaced, -limited-scope=true.
  step "KubeFed's e2e suite, namespace-scoped (hack/kubefed-e2e.sh --namespaced)"
  mkdir -p "${RESULTS}/kubefed-e2e-logs/hack/kubefed_e2e_namespaced"
  if KFED_RUN_DIR="${REPO}/.run/kubefed-e2e" KFED_CONTROLLER_BIN="${KFED_CONTROLLER_BIN}" \
    KFED_KFEDCTL_BIN="${KFED_KFEDCTL_BIN}" hack/kubefed-e2e.sh --namespaced \
    --junit "${RESULTS}/kubefed-e2e-logs/hack/kubefed_e2e_namespaced/test.xml" \
    > "${RESULTS}/kubefed-e2e-namespaced.out" 2>&1; then
    echo "//hack:kubefed_e2e_namespaced PASSED" >> "${RESULTS}/kubefed-e2e-namespaced.log"
  else
    tail -30 "${RESULTS}/kubefed-e2e-namespaced.out"
    echo "//hack:kubefed_e2e_namespaced FAILED" >> "${RESULTS}/kubefed-e2e-namespaced.log"
    overall=1
  fi
  echo "${RESULTS}/kubefed-e2e-logs" > "${RESULTS}/kubefed-e2e-namespaced.testlogs"
  sed -n '/^KubeFed e2e: /,$p' "${RESULTS}/kubefed-e2e-namespaced.out"

  # A live federation switched from KubeFed (the peer) to kfed and back, on fresh clusters.
  step "migration e2e: KubeFed -> kfed -> KubeFed (hack/migration-e2e.sh)"
  if KFED_RUN_DIR="${REPO}/.run/migration-e2e" KFED_CONTROLLER_BIN="${KFED_CONTROLLER_BIN}" \
    KFED_KFEDCTL_BIN="${KFED_KFEDCTL_BIN}" hack/migration-e2e.sh > "${RESULTS}/migration.out" 2>&1; then
    echo "//hack:migration_e2e PASSED" >> "${RESULTS}/migration.log"
  else
    grep -v '^\[migration\] ok:' "${RESULTS}/migration.out" | tail -30
    echo "//hack:migration_e2e FAILED" >> "${RESULTS}/migration.log"
    overall=1
  fi
  grep -E '^\[migration\] (FAIL|all checks)' "${RESULTS}/migration.out" || true
fi

if (( RUN_E2E )); then
  # The propagation benchmark's smallest size, so the harness keeps working (its figures
  # belong in docs/benchmarks.md, not here; it starts its own host + 3 members).
  step "propagation benchmark smoke (bench/propagation.sh --smoke --no-record)"
  if bench/propagation.sh --smoke --no-record > "${RESULTS}/bench-smoke.out" 2>&1; then
    echo "//bench:propagation_smoke PASSED" >> "${RESULTS}/bench.log"
  else
    tail -30 "${RESULTS}/bench-smoke.out"
    echo "//bench:propagation_smoke FAILED" >> "${RESULTS}/bench.log"
    overall=1
  fi
  grep -E '^\| (cold start|sustained|drift|memory|idle|isolation)' "${RESULTS}/bench-smoke.out" || true
fi

# Count test cases from each target's test.xml (gtest writes one per binary), and count a
# target that failed without recording a failing case as one failure.
passed=0
failed=0
failed_targets=()
default_testlogs="$(bazel info "${BAZEL_FLAGS[@]}" bazel-testlogs 2>/dev/null)"
while read -r testlogs target state logname; do
  [[ -n "${target}" ]] || continue
  [[ "${testlogs}" == - ]] && testlogs="${default_testlogs}"
  path="${target#//}"; path="${path/://}"
  xml="${testlogs}/${path}/test.xml"
  t=0; f=0
  if [[ -f "${xml}" ]]; then
    t=$(grep -o -m1 'tests="[0-9]*"' "${xml}" | grep -o '[0-9]*' || echo 0)
    f=$(grep -o -m1 'failures="[0-9]*"' "${xml}" | grep -o '[0-9]*' || echo 0)
    e=$(grep -o -m1 'errors="[0-9]*"' "${xml}" | grep -o '[0-9]*' || echo 0)
    f=$((f + e))
  fi
  if [[ "${state}" != PASSED && ${f} -eq 0 ]]; then f=1; t=$((t > 0 ? t : 1)); fi
  if [[ "${state}" == PASSED && ${t} -eq 0 ]]; then t=1; fi
  passed=$((passed + t - f))
  failed=$((failed + f))
  if (( f > 0 )); then
    failed_targets+=("${target} ${state} (${testlogs}/${path}/test.log)")
    # What gtest said of the failing cases (and the last lines), for a log read only at its end.
    if [[ -f "${testlogs}/${path}/test.log" ]]; then
      echo "---- ${target}: failing cases and the log's last lines"
      grep -E '^\[  FAILED  \]|Failure$|: error:|timed out' "${testlogs}/${path}/test.log" | head -20 || true
      tail -n 15 "${testlogs}/${path}/test.log"
    elif [[ -f "${RESULTS}/${logname}.out" ]]; then
      # A script step (hack/*.sh): its failing checks, again here at the end.
      echo "---- ${target}: what ${RESULTS}/${logname}.out says failed"
      grep -E 'FAIL|[Ee]rror|timed out' "${RESULTS}/${logname}.out" | tail -n 20 || true
    fi
  fi
done < <(for log in "${RESULTS}"/*.log; do
  [[ -f "${log}" ]] || continue
  dir="$(cat "${log%.log}.testlogs" 2>/dev/null || true)"
  sed -n 's#^\(//[^ ]*\)[[:space:]]\+\(\(([^)]*)[[:space:]]*\)\{0,1\}\)\(PASSED\|FAILED\|TIMEOUT\|FLAKY\|NO STATUS\|FAILED TO BUILD\|INCOMPLETE\).*$#\1 \4#p' "${log}" \
    | sed 's/ NO STATUS$/ NO_STATUS/; s/ FAILED TO BUILD$/ FAILED/' \
    | sed "s#^#${dir:--} #; s#\$# $(basename "${log}" .log)#"
done)

echo
# The failing targets again, last, so that a log cut to its tail still names them.
for t in "${failed_targets[@]}"; do echo "FAILED: ${t}"; done
if (( overall != 0 && failed == 0 )); then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit $(( overall != 0 || failed != 0 ))
