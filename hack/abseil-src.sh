#!/usr/bin/env bash
# Fetches the sources of the installed Abseil (Debian's libabsl-dev, with Debian's patches)
# for the ThreadSanitizer build (bazel --config=tsan compiles them with -fsanitize=thread;
# see third_party/sanitizers/abseil_source.bzl) and prints the directory. Uses `apt-get
# source` with a private copy of this machine's Debian sources turned into deb-src entries,
# so the system's apt configuration is not changed. Cached in
# $KFED_CACHE/abseil-src/abseil-<version> (KFED_CACHE defaults to ~/.cache/kfed); a second
# run prints the directory at once. Checks that the headers equal /usr/include/absl.
set -euo pipefail

KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
ROOT="${KFED_CACHE}/abseil-src"
log() { echo "[abseil-src] $*" >&2; }

version="$(dpkg-query -W -f='${Version}' libabsl-dev 2>/dev/null || true)"
if [[ -z "${version}" ]]; then
  log "ERROR: libabsl-dev is not installed (run hack/install-deps.sh)"
  exit 1
fi
upstream="${version%%-*}"
dest="${ROOT}/abseil-${upstream}"
mkdir -p "${ROOT}"
exec 9>"${ROOT}/.lock"
flock 9
if [[ -f "${dest}/.kfed-complete" ]]; then
  echo "${dest}"
  exit 0
fi

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
if ! command -v dpkg-source >/dev/null; then
  log "installing dpkg-dev (dpkg-source unpacks the sources)"
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
fi

work="$(mktemp -d "${ROOT}/.work.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
mkdir -p "${work}/parts" "${work}/lists/partial" "${work}/cache/archives/partial" "${work}/src"
# deb-src twins of this machine's Debian archive entries (deb822 .sources and one-line .list).
for f in /etc/apt/sources.list.d/*.sources; do
  [[ -f "$f" ]] || continue
  grep -q 'debian-archive-keyring' "$f" || continue
  sed 's/^Types:.*/Types: deb-src/' "$f" >"${work}/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f "$f" ]] || continue
  grep -E '^deb +(\[[^]]*\] +)?[a-z]+://[^ ]*/debian(-security)?/? ' "$f" \
    | sed 's/^deb /deb-src /' >>"${work}/parts/from-lists.list" || true
done
if [[ -z "$(cat "${work}"/parts/* 2>/dev/null)" ]]; then
  log "ERROR: no Debian archive found in /etc/apt/sources.list{,.d}"
  exit 1
fi
APT=(apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="${work}/parts"
     -o Dir::State::Lists="${work}/lists" -o Dir::Cache="${work}/cache"
     -o APT::Sandbox::User=root)
log "fetching the Debian source index"
"${APT[@]}" update >"${work}/update.log" 2>&1 || { cat "${work}/update.log" >&2; exit 1; }
log "fetching abseil ${version} sources"
(cd "${work}/src" && "${APT[@]}" source --download-only "abseil=${version}") \
  >"${work}/source.log" 2>&1 || { cat "${work}/source.log" >&2; exit 1; }
rm -rf "${dest}"
dpkg-source --no-check -x "${work}/src/"abseil_*.dsc "${dest}" >/dev/null
# The TSan build mixes these with code compiled against /usr/include/absl: they must match.
if ! diff -r -q -x '*.cc' -x '*.bazel' -x '*.bzl' -x 'CMakeLists.txt' -x '*.md' \
    "${dest}/absl" /usr/include/absl | grep -v "^Only in ${dest}/absl" >"${work}/diff"; then
  :
fi
if [[ -s "${work}/diff" ]]; then
  log "ERROR: the sources' headers differ from /usr/include/absl:"
  cat "${work}/diff" >&2
  exit 1
fi
touch "${dest}/.kfed-complete"
log "abseil ${version} sources in ${dest}"
echo "${dest}"
