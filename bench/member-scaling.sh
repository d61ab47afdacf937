#!/usr/bin/env bash
# Member scaling (issue 21): how kfed's cost grows with the number of member clusters. For each
# K of --members-list, bench/propagation.sh runs on fresh clusters of its own (host + K members:
# a kube-apiserver, a kube-controller-manager, a kube-scheduler and kwok with --nodes simulated
# Nodes per member, one shared etcd) with N FederatedConfigMaps placed on all K members:
# ConfigMaps only (no Deployments), a short sustained phase (--rate/s for --sustain s), a few
# drift edits, a short idle window and no isolation phase. Per K it collects: the cold start's
# time until all K×N member copies exist (copies/s) and the bare writer's rate on the same
# clusters, the time until every status is Propagation=True, the sustained p99 and controller
# CPU per 1,000 member updates, the controller's CPU-seconds in the cold start (and per member),
# its RSS with 0 objects and at rest (and per member), its threads (/proc/PID/status) at start
# and at rest, its idle CPU, and kfed's passes (host per object, member per copy) in the cold
# start. Prints one markdown table (a row per K), the cost of each added member (slopes between
# the smallest and the largest K), and plots copies/s, p99, RSS, CPU and threads against K with
# gnuplot (SVG; gnuplot-nox is installed with apt-get when missing, else the plot is skipped).
# With recording on, the plot is docs/member-scaling.svg and the table goes under a dated
# heading into docs/benchmarks.md's "## Member scaling (issue 21)" section, in place of its
# "pending" line while that is still there.
#
# Usage: bench/member-scaling.sh [--members-list 1,5,10,25] [--n 2000] [--nodes 1] [--rate 20]
#          [--sustain 20] [--idle 20] [--drifts 20] [--no-record] [-- CONTROLLER_FLAGS...]
#   --members-list L  comma-separated member counts, one run each (default 1,5,10,25)
#   --n N             federated ConfigMaps (default 2000)
#   --nodes M         kwok Nodes per member (default 1)
#   --rate R, --sustain S  the sustained phase: R template updates a second for S s (20, 20)
#   --idle S          the idle window (default 20)
#   --drifts D        drift edits (default 20)
#   --no-record       print only; the plot goes into the run's directory instead of docs/
# Every run's own table, progress and controller log stay in /tmp/kfed-member-scaling.*/
# (k<K>.out, k<K>.log, k<K>-controller.log, k<K>.tsv). Not part of the timed test run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
MEMBERS_LIST=1,5,10,25
N=2000
NODES=1
RATE=20
SUSTAIN=20
IDLE=20
DRIFTS=20
RECORD=1
CONTROLLER_FLAGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --members-list) MEMBERS_LIST="$2"; shift 2 ;;
    --n) N="$2"; shift 2 ;;
    --nodes) NODES="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --sustain) SUSTAIN="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --drifts) DRIFTS="$2"; shift 2 ;;
    --no-record) RECORD=0; shift ;;
    --) shift; CONTROLLER_FLAGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo pipefail/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a KS <<<"${MEMBERS_LIST}"
for k in "${KS[@]}"; do
  [[ ${k} =~ ^[1-9][0-9]*$ ]] || { echo "--members-list takes member counts of at least 1, e.g. 1,5,10,25 (got ${MEMBERS_LIST})" >&2; exit 2; }
done

OUT="$(mktemp -d /tmp/kfed-member-scaling.XXXXXX)"
log() { echo "[member-scaling $(date +%T)] $*" >&2; }

# Another run's clusters on this 2-core machine would be measured too.
others=$(pgrep -c -f kube-apiserver || true)
(( others == 0 )) || log "warning: ${others} kube-apiservers of another run are running; the figures will show it"

# The plot needs gnuplot: installed now, before any measurement, or skipped.
GNUPLOT=$(command -v gnuplot || true)
if [[ -z ${GNUPLOT} ]]; then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  log "installing gnuplot-nox (apt-get) for the plot"
  if DEBIAN_FRONTEND=noninteractive ${SUDO} apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null 2>&1; then
    GNUPLOT=$(command -v gnuplot || true)
  fi
  [[ -n ${GNUPLOT} ]] || log "gnuplot-nox could not be installed: no plot this time (the table is complete)"
fi

# val K KEY: a figure of run K (bench/propagation.sh --results), "n/a" when missing.
val() { awk -F'\t' -v k="$2" '$1 == k {v = $3} END {print (v == "") ? "n/a" : v}' "${OUT}/k$1.tsv" 2>/dev/null || echo n/a; }
# calc EXPRESSION VALUES...: awk arithmetic on a, b, c, ...; "n/a" when a value is not a number.
calc() {
  local expr=$1; shift
  awk -v vals="$*" "BEGIN {n = split(vals, v, \" \"); for (i = 1; i <= n; i++) if (v[i] !~ /^-?[0-9.]+$/) {print \"n/a\"; exit}
    a = v[1]; b = v[2]; c = v[3]; print ${expr}}"
}

DONE=()
for k in "${KS[@]}"; do
  log "=== ${k} member(s), N=${N}: bench/propagation.sh (progress in ${OUT}/k${k}.log) ==="
  : >"${OUT}/k${k}.tsv"
  if KFED_BENCH_CONTROLLER_LOG="${OUT}/k${k}-controller.log" bench/propagation.sh \
      --members "${k}" --nodes "${NODES}" --n "${N}" --no-deployments --no-isolation \
      --rate "${RATE}" --sustain "${SUSTAIN}" --idle "${IDLE}" --drifts "${DRIFTS}" --no-record \
      --results "${OUT}/k${k}.tsv" -- "${CONTROLLER_FLAGS[@]}" \
      >"${OUT}/k${k}.out" 2> >(tee "${OUT}/k${k}.log" >&2); then
    DONE+=("${k}")
  else
    log "the run with ${k} member(s) failed; its log: ${OUT}/k${k}.log"
  fi
done

# One row per K, and the plot's data: K, copies/s, bare copies/s, p99, RSS at rest, RSS per
# member, cold-start CPU per member, threads at rest.
ROWS=()
: >"${OUT}/member-scaling.dat"
for k in "${KS[@]}"; do
  if [[ ! " ${DONE[*]} " =~ " ${k} " ]]; then
    ROWS+=("| ${k} | $((k * N)) | failed: ${OUT}/k${k}.log | | | | | | | | |")
    continue
  fi
  copies_s=$(val "${k}" configmap-copies) bare_s=$(val "${k}" configmap-bare) cpu=$(val "${k}" configmap-cpu)
  rss=$(val "${k}" rss) threads=$(val "${k}" threads)
  rate=$(calc 'sprintf("%.0f", a / b)' "$((k * N))" "${copies_s}")
  bare_rate=$(calc 'sprintf("%.0f", a / b)' "$((k * N))" "${bare_s}")
  ratio=$(calc 'sprintf("%.2f", a / b)' "${bare_s}" "${copies_s}")
  cpu_k=$(calc 'sprintf("%.2f", a / b)' "${cpu}" "${k}")
  rss_k=$(calc 'sprintf("%.1f", a / b)' "${rss}" "${k}")
  ROWS+=("| ${k} | $((k * N)) | ${copies_s} s (${rate}/s) | ${bare_rate}/s (${ratio}) | $(val "${k}" configmap-status) s | $(val "${k}" sust-p99) ms; $(val "${k}" sust-cpu-per-k) | ${cpu} (${cpu_k}) | $(val "${k}" rss0) / ${rss} (${rss_k}) | $(val "${k}" threads0) / ${threads} | $(val "${k}" idle-cpu)% | $(val "${k}" configmap-host-passes) / $(val "${k}" configmap-member-passes) |")
  echo "${k} ${rate} ${bare_rate} $(val "${k}" sust-p99) ${rss} ${rss_k} ${cpu_k} ${threads}" >>"${OUT}/member-scaling.dat"
done

# What one more member costs: slopes between the smallest and the largest K that finished.
SLOPES=""
if (( ${#DONE[@]} >= 2 )); then
  lo=$(printf '%s\n' "${DONE[@]}" | sort -n | head -1)
  hi=$(printf '%s\n' "${DONE[@]}" | sort -n | tail -1)
  slope() { calc 'sprintf("%.3g", (b - a) / c)' "$(val "${lo}" "$1")" "$(val "${hi}" "$1")" "$((hi - lo))"; }
  SLOPES="Each added member (slopes from ${lo} to ${hi} members): RSS at rest +$(slope rss) MiB, with 0 objects +$(slope rss0) MiB; threads at rest +$(slope threads), at start +$(slope threads0); cold-start controller CPU +$(slope configmap-cpu) CPU-s; idle CPU +$(slope idle-cpu) percentage points of a core."
fi

HEADER="| members | member copies | cold start: all copies (copies/s) | bare writer (kfed/bare) | all Propagation=True | sustained ${RATE}/s: p99; CPU-s per 1,000 member updates | controller CPU-s, cold start (per member) | RSS MiB: 0 objects / at rest (per member) | threads: at start / at rest | idle CPU (one core) | cold start: host passes per object / member passes per copy |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"

# The plot: four panels against K.
PLOT=""
if [[ -n ${GNUPLOT} && -s ${OUT}/member-scaling.dat ]]; then
  if [[ ${RECORD} == 1 && ${#DONE[@]} == "${#KS[@]}" ]]; then PLOT=docs/member-scaling.svg; else PLOT="${OUT}/member-scaling.svg"; fi
  "${GNUPLOT}" <<EOF || { log "gnuplot failed: no plot"; PLOT=""; }
set terminal svg size 960,720 dynamic font "sans,11" background rgb "white"
set output "${PLOT}"
set multiplot layout 2,2 title "kfed member scaling: N=${N} FederatedConfigMaps on every member ($(git rev-parse --short HEAD), $(date -u +%Y-%m-%d))"
set xlabel "member clusters"
set grid
set key top left
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.1, 0
set title "cold start: member copies per second"
plot "${OUT}/member-scaling.dat" using 1:2 with linespoints title "kfed", "" using 1:3 with linespoints title "bare writer"
set title "sustained ${RATE}/s: p99 host -> member (ms)"
plot "" using 1:4 with linespoints title "p99"
set title "controller RSS at rest (MiB)"
set ytics nomirror
set y2tics
set y2range [0:*]
plot "" using 1:5 with linespoints title "total (left)", "" using 1:6 axes x1y2 with linespoints title "per member (right)"
set title "cold-start CPU-s per member (left), threads at rest (right)"
plot "" using 1:7 with linespoints title "CPU-s per member (left)", "" using 1:8 axes x1y2 with linespoints title "threads (right)"
unset multiplot
EOF
fi

COMMIT=$(git rev-parse --short HEAD)
MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
TABLE="$(cat <<EOF

### $(date -u +%Y-%m-%d) members ${MEMBERS_LIST}, N=${N}, kfed ${COMMIT}

Machine: $(nproc) cores (${MODEL}), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo),
load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; \`bench/member-scaling.sh --members-list ${MEMBERS_LIST} --n ${N}\`
(each K: \`bench/propagation.sh --members K --nodes ${NODES} --n ${N} --no-deployments --no-isolation
--rate ${RATE} --sustain ${SUSTAIN} --idle ${IDLE} --drifts ${DRIFTS}\` on fresh clusters); controller flags:
${CONTROLLER_FLAGS[*]:-defaults}. CPU-s: controller CPU-seconds; per member: divided by K.

${HEADER}
$(printf '%s\n' "${ROWS[@]}")

${SLOPES}
$( [[ ${PLOT} == docs/member-scaling.svg ]] && echo "
![kfed member scaling](member-scaling.svg)")
EOF
)"
echo "${TABLE}"
log "every run's table and log: ${OUT}/"
[[ -n ${PLOT} ]] && log "plot: ${PLOT}"
if [[ ${RECORD} == 1 ]]; then
  if (( ${#DONE[@]} < ${#KS[@]} )); then
    log "not recorded: $(( ${#KS[@]} - ${#DONE[@]} )) run(s) failed"
    exit 1
  fi
  # Into the "Member scaling" section: in place of its pending line, else at its end.
  printf '%s\n' "${TABLE}" >"${OUT}/table.md"
  awk -v table="${OUT}/table.md" '
    BEGIN { while ((getline line < table) > 0) block = block line "\n"; sub(/^\n/, "", block) }
    /<!-- member-scaling: pending -->/ && !done { printf "%s", block; done = 1; next }
    section && /^## / && !done { printf "%s\n", block; done = 1 }
    /^## Member scaling \(issue 21\)/ { section = 1 }
    { print }
    END { if (!done) { if (!section) printf "\n## Member scaling (issue 21)\n"; printf "\n%s", block } }
  ' docs/benchmarks.md >"${OUT}/benchmarks.md"
  cp "${OUT}/benchmarks.md" docs/benchmarks.md
  log "recorded in docs/benchmarks.md (\"Member scaling (issue 21)\") and ${PLOT:-no plot}"
fi
(( ${#DONE[@]} == ${#KS[@]} ))
