#!/usr/bin/env bash
# Installs what kfed needs on Debian 12: the toolchain and libraries from Debian's packages
# (only those missing; safe to run twice). Go (1.25+) must already be installed: it builds
# the Kubernetes test binaries (hack/kube-binaries.sh). Node.js (20+) with npm must be too: it
# runs the dashboard's browser tests in Debian's chromium (their npm packages are installed by
# e2e/browser/install.sh, which hack/test.sh runs).
set -euo pipefail

PACKAGES=(
  bazel-bootstrap g++ clang libclang-rt-14-dev pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev rapidjson-dev libcurl4-openssl-dev libssl-dev libzstd-dev
  libgtest-dev libgmock-dev libyaml-cpp-dev libgoogle-glog-dev libcli11-dev
  libcpp-httplib-dev libbenchmark-dev prometheus-cpp-dev clang-format dpkg-dev
  curl openssl iproute2 ca-certificates git python3-yaml
  umoci runc containerd containernetworking-plugins
  chromium
)

log() { echo "[install-deps] $*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if (( ${#missing[@]} == 0 )); then
  log "all ${#PACKAGES[@]} Debian packages present"
else
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "ERROR: need root or sudo to install: ${missing[*]}"; exit 1; }
    SUDO=sudo
  fi
  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || { log "ERROR: apt-get update failed"; exit 1; }
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { log "ERROR: apt-get install failed for: ${missing[*]}"; exit 1; }
fi

if ! command -v go >/dev/null; then
  log "ERROR: Go is not installed; install Go 1.25 or newer (the Kubernetes test binaries are built with it)"
  exit 1
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "ERROR: Node.js and npm are not installed; install Node.js 20 or newer (the dashboard's browser tests run with it)"
  exit 1
fi
