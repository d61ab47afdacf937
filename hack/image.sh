#!/usr/bin/env bash
# Builds kfed's container image offline: an OCI image archive holding kfed-controller-manager
# and kfedctl (optimized builds), exactly the shared libraries they load (from this machine's
# Debian packages, found with ldd), CA certificates, and /etc/passwd with the non-root user
# kfed (65532). No shell, no package manager. Built with umoci (Debian package); nothing is
# downloaded. The archive can be imported with `ctr images import` or `skopeo copy
# oci-archive:...`.
#
# --check then runs the image for real with runc (Debian package): both binaries print their
# version as user 65532, and the image has no /bin/sh.
#
# Usage: hack/image.sh [--check] [--out DIR]   (default DIR: ${KFED_CACHE:-~/.cache/kfed}/image)
# Prints the archive's path (kfed-<version>.oci.tar) on the last line.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
OUT="${KFED_CACHE}/image"
CHECK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --check) CHECK=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { echo "[image] $*" >&2; }

for tool in umoci runc; do
  command -v "${tool}" >/dev/null || { log "ERROR: ${tool} is missing: run hack/install-deps.sh"; exit 1; }
done

log "building kfed-controller-manager and kfedctl (-c opt)"
bazel build -c opt --disk_cache="${KFED_CACHE}/bazel-disk" \
  //controller:kfed-controller-manager //cli:kfedctl >&2
BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"
VERSION="$("${BIN}/cli/kfedctl" version | awk '{print $NF}')"
TAG="${VERSION}"

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
ROOT="${WORK}/rootfs"
mkdir -p "${ROOT}/usr/local/bin" "${ROOT}/etc/ssl/certs" "${ROOT}/tmp" "${ROOT}/home/kfed"
chmod 1777 "${ROOT}/tmp"
for b in controller/kfed-controller-manager cli/kfedctl; do
  install -m 0755 "${BIN}/${b}" "${ROOT}/usr/local/bin/$(basename "${b}")"
  strip --strip-debug "${ROOT}/usr/local/bin/$(basename "${b}")"
done
# Exactly the libraries the binaries load, at the paths the loader looks for them.
for lib in $(ldd "${ROOT}"/usr/local/bin/* | awk '/=> \// {print $3} /^[ \t]*\/lib/ {print $1}' | sort -u); do
  mkdir -p "${ROOT}$(dirname "${lib}")"
  cp -L "${lib}" "${ROOT}${lib}"
done
cp -L /etc/ssl/certs/ca-certificates.crt "${ROOT}/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/nonexistent\nkfed:x:65532:65532:kfed:/home/kfed:/nonexistent\n' >"${ROOT}/etc/passwd"
printf 'root:x:0:\nkfed:x:65532:\n' >"${ROOT}/etc/group"
printf 'hosts: files dns\n' >"${ROOT}/etc/nsswitch.conf"
chown 65532:65532 "${ROOT}/home/kfed"

log "assembling the OCI image kfed:${TAG} (umoci)"
LAYOUT="${WORK}/layout"
umoci init --layout "${LAYOUT}"
umoci new --image "${LAYOUT}:${TAG}"
umoci unpack --image "${LAYOUT}:${TAG}" "${WORK}/bundle" >/dev/null
rm -rf "${WORK}/bundle/rootfs"
mv "${ROOT}" "${WORK}/bundle/rootfs"
umoci repack --image "${LAYOUT}:${TAG}" "${WORK}/bundle"
umoci config --image "${LAYOUT}:${TAG}" \
  --author "kfed" \
  --config.user 65532:65532 \
  --config.workingdir /home/kfed \
  --config.entrypoint /usr/local/bin/kfed-controller-manager \
  --config.env PATH=/usr/local/bin \
  --config.label "org.opencontainers.image.title=kfed" \
  --config.label "org.opencontainers.image.version=${VERSION}" \
  --config.label "org.opencontainers.image.description=kfed-controller-manager and kfedctl" \
  --config.exposedports 8080/tcp --config.exposedports 9090/tcp --config.exposedports 9091/tcp
umoci gc --layout "${LAYOUT}"

mkdir -p "${OUT}"
ARCHIVE="${OUT}/kfed-${VERSION}.oci.tar"
tar -C "${LAYOUT}" -cf "${ARCHIVE}.tmp" .
mv "${ARCHIVE}.tmp" "${ARCHIVE}"
SIZE_MIB=$(du -m "${ARCHIVE}" | awk '{print $1}')
log "image kfed:${TAG}: ${ARCHIVE} (${SIZE_MIB} MiB)"

if (( CHECK )); then
  log "checking: run both binaries in the image with runc"
  CHECK_LAYOUT="${WORK}/check-layout"
  mkdir -p "${CHECK_LAYOUT}"
  tar -C "${CHECK_LAYOUT}" -xf "${ARCHIVE}"
  BUNDLE="${WORK}/check-bundle"
  umoci unpack --image "${CHECK_LAYOUT}:${TAG}" "${BUNDLE}" >/dev/null
  [[ ! -e "${BUNDLE}/rootfs/bin/sh" && ! -e "${BUNDLE}/rootfs/usr/bin/sh" ]] ||
    { log "FAIL: the image has a shell"; exit 1; }
  python3 - "${BUNDLE}/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["process"]["user"]["uid"] == 65532, c["process"]["user"]
assert c["process"]["args"][0] == "/usr/local/bin/kfed-controller-manager", c["process"]["args"]
c["process"]["terminal"] = False
c["process"]["args"] = ["/usr/local/bin/kfed-controller-manager", "--version"]
json.dump(c, open(sys.argv[1], "w"))
PY
  got=$(cd "${BUNDLE}" && runc run "kfed-image-check-$$" 2>&1) || { log "FAIL: ${got}"; exit 1; }
  [[ "${got}" == "kfed-controller-manager ${VERSION}" ]] || { log "FAIL: got '${got}'"; exit 1; }
  python3 - "${BUNDLE}/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/usr/local/bin/kfedctl", "version"]
json.dump(c, open(sys.argv[1], "w"))
PY
  got=$(cd "${BUNDLE}" && runc run "kfed-image-check-$$" 2>&1) || { log "FAIL: ${got}"; exit 1; }
  [[ "${got}" == "kfedctl version ${VERSION}" ]] || { log "FAIL: got '${got}'"; exit 1; }
  log "ok: both binaries run in the image as uid 65532; no shell inside"
fi
echo "${ARCHIVE}"
