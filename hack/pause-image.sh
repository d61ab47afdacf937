#!/usr/bin/env bash
# Builds the pod sandbox ("pause") image of the local host node (hack/local-clusters.sh
# --host-kubelet) offline: hack/pause/pause.c linked statically, alone in an OCI image made
# with umoci, like hack/image.sh. Nothing is pulled from a registry; containerd's CRI plugin
# is pointed at this image (sandbox_image) after `ctr images import`.
#
# Usage: hack/pause-image.sh   prints the archive's path; cached by the source's hash in
#                              ${KFED_CACHE:-~/.cache/kfed}/image, so a second run is instant.
# The image's name in the runtime: kfed.local/pause:<tag> (PAUSE_IMAGE below).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
OUT="${KFED_CACHE}/image"
log() { echo "[pause-image] $*" >&2; }

for tool in umoci cc; do
  command -v "${tool}" >/dev/null || { log "ERROR: ${tool} is missing: run hack/install-deps.sh"; exit 1; }
done
TAG="kfed-$(sha256sum "${REPO}/hack/pause/pause.c" | cut -c1-12)"
ARCHIVE="${OUT}/pause-${TAG}.oci.tar"
if [[ -f "${ARCHIVE}" ]]; then echo "${ARCHIVE}"; exit 0; fi

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
ROOT="${WORK}/rootfs"
mkdir -p "${ROOT}"
cc -static -Os -s -o "${ROOT}/pause" "${REPO}/hack/pause/pause.c"
LAYOUT="${WORK}/layout"
umoci init --layout "${LAYOUT}"
umoci new --image "${LAYOUT}:${TAG}"
umoci unpack --image "${LAYOUT}:${TAG}" "${WORK}/bundle" >/dev/null
rm -rf "${WORK}/bundle/rootfs"
mv "${ROOT}" "${WORK}/bundle/rootfs"
umoci repack --image "${LAYOUT}:${TAG}" "${WORK}/bundle"
# uid 65535 as Kubernetes' pause runs: the sandbox process needs no privilege.
umoci config --image "${LAYOUT}:${TAG}" --author kfed --config.user 65535:65535 \
  --config.entrypoint /pause --config.label "org.opencontainers.image.title=kfed-pause"
umoci gc --layout "${LAYOUT}"
mkdir -p "${OUT}"
tar -C "${LAYOUT}" -cf "${ARCHIVE}.tmp" .
mv "${ARCHIVE}.tmp" "${ARCHIVE}"
log "pause image kfed.local/pause:${TAG}: ${ARCHIVE} ($(du -k "${ARCHIVE}" | cut -f1) KiB)"
echo "${ARCHIVE}"
