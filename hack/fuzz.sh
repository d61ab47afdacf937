#!/usr/bin/env bash
# Builds kfed's libFuzzer targets with clang (ASan + UBSan + coverage: bazel --config=fuzz)
# and runs each for a fixed time, starting from its seed corpus in the repository. Prints
# executions, exec/s, corpus size and crashes per target; exits non-zero if any target
# crashed (an ASan/UBSan/LSan report, a violated property, a timeout or out-of-memory) or
# failed to build. Crash inputs are kept in the output directory.
#
# Usage: hack/fuzz.sh [--seconds N] [--out DIR] [TARGET...]
#   --seconds N  time per target (default 60)
#   --out DIR    where work corpora, logs and crash inputs go (default: a new temp dir)
#   TARGET       fuzzer names (default: all): json_patch_fuzzer json_pointer_fuzzer
#                kubeconfig_fuzzer watch_decoder_fuzzer label_selector_fuzzer
#                text_codec_fuzzer
# Reproduce a crash: bazel-bin/<pkg>/<fuzzer> CRASH_FILE (after a build with --config=fuzz),
# then add the input to the fuzzer's corpus directory as a regression seed.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"

# name -> package (the corpus is <package>/testdata/<name>_corpus, the dictionary below).
declare -A PACKAGE=(
  [json_patch_fuzzer]=overrides
  [json_pointer_fuzzer]=base
  [kubeconfig_fuzzer]=kube
  [watch_decoder_fuzzer]=kube
  [label_selector_fuzzer]=base
  [text_codec_fuzzer]=kube
)
declare -A DICT=(
  [json_patch_fuzzer]=base/testdata/json.dict
  [json_pointer_fuzzer]=base/testdata/json.dict
  [kubeconfig_fuzzer]=kube/testdata/kubeconfig.dict
  [watch_decoder_fuzzer]=kube/testdata/watch.dict
  [label_selector_fuzzer]=base/testdata/label_selector.dict
  [text_codec_fuzzer]=base/testdata/json.dict
)
ALL=(json_patch_fuzzer json_pointer_fuzzer kubeconfig_fuzzer watch_decoder_fuzzer
     label_selector_fuzzer text_codec_fuzzer)

SECONDS_PER_TARGET=60
OUT=""
TARGETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
    *)
      if [[ -z "${PACKAGE[$1]:-}" ]]; then
        echo "unknown fuzzer $1 (one of: ${ALL[*]})" >&2
        exit 2
      fi
      TARGETS+=("$1"); shift ;;
  esac
done
(( ${#TARGETS[@]} )) || TARGETS=("${ALL[@]}")
[[ -n "${OUT}" ]] || OUT="$(mktemp -d /tmp/kfed-fuzz.XXXXXX)"
mkdir -p "${OUT}"
OUT="$(cd "${OUT}" && pwd)"

labels=()
for t in "${TARGETS[@]}"; do labels+=("//${PACKAGE[$t]}:${t}"); done
echo "==> [fuzz] building ${labels[*]} (bazel --config=fuzz: clang, libFuzzer, ASan, UBSan)"
if ! bazel build --disk_cache="${KFED_CACHE}/bazel-disk" --config=fuzz "${labels[@]}"; then
  echo "==> [fuzz] FAILED: build" >&2
  exit 1
fi
BIN="$(bazel info --disk_cache="${KFED_CACHE}/bazel-disk" --config=fuzz bazel-bin 2>/dev/null)"

export UBSAN_OPTIONS="suppressions=${REPO}/third_party/sanitizers/ubsan.supp:halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:allocator_may_return_null=1"

failed=0
summary=()
for t in "${TARGETS[@]}"; do
  pkg="${PACKAGE[$t]}"
  seeds="${REPO}/${pkg}/testdata/${t}_corpus"
  work="${OUT}/${t}/corpus"
  log="${OUT}/${t}/fuzz.log"
  mkdir -p "${work}" "${OUT}/${t}/crashes"
  echo "==> [fuzz] ${t}: ${SECONDS_PER_TARGET} s from $(ls "${seeds}" | wc -l) seeds (log ${log})"
  "${BIN}/${pkg}/${t}" -max_total_time="${SECONDS_PER_TARGET}" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="${REPO}/${DICT[$t]}" \
    -artifact_prefix="${OUT}/${t}/crashes/" "${work}" "${seeds}" >"${log}" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "${log}" | tail -1 | grep -o '[0-9]*')
  corpus=$(ls "${work}" | wc -l)
  crashes=$(ls "${OUT}/${t}/crashes" | wc -l)
  if (( rc != 0 && crashes == 0 )); then crashes=1; fi
  if (( crashes > 0 )); then
    failed=1
    echo "==> [fuzz] ${t}: CRASH (exit ${rc}); inputs in ${OUT}/${t}/crashes; end of log:" >&2
    grep -E 'ERROR:|runtime error|property violated|SUMMARY|Test unit written' "${log}" | head -20 >&2
  fi
  summary+=("$(printf '%-24s %12s %8s %8s %8s %8s' "${t}" "${execs:-0}" "${rate:-0}" \
    "${corpus}" "${cov:-0}" "${crashes}")")
done

echo
printf '%-24s %12s %8s %8s %8s %8s\n' fuzzer executions exec/s corpus edges crashes
printf '%s\n' "${summary[@]}"
echo "(${SECONDS_PER_TARGET} s each; work corpora, logs and crash inputs in ${OUT})"
exit ${failed}
