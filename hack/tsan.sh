#!/usr/bin/env bash
# Runs kfed's concurrency tests under ThreadSanitizer: every unit test of //kube/... (work
# queue, rate limiter, informer, watch, transport, leader election, fake client, discovery)
# and //controller/... (the sync controller with several members and keys at once, the
# cluster and FederatedTypeConfig controllers, the manager's readiness and leader-election
# lifecycle, the worker pool, cluster health, events, metrics, dispatcher). Built with clang and --config=tsan, which compiles
# Abseil from Debian's sources with -fsanitize=thread (hack/abseil-src.sh fetches them once)
# so that absl::Mutex synchronization is visible to TSan. Any race report fails the test.
# hack/test.sh runs this; it can also be run alone.
#
# Usage: hack/tsan.sh [BAZEL_TEST_ARGS...]   e.g. --runs_per_test=5
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO}"
KFED_CACHE="${KFED_CACHE:-${HOME}/.cache/kfed}"
export KFED_CACHE

echo "==> [tsan] Abseil sources for the TSan build (hack/abseil-src.sh)"
hack/abseil-src.sh >/dev/null
echo "==> [tsan] bazel test --config=tsan //kube/... //controller/..."
exec bazel test --disk_cache="${KFED_CACHE}/bazel-disk" --config=tsan \
  --test_tag_filters=-e2e,-manual --build_tests_only "$@" //kube/... //controller/...
