#!/usr/bin/env bash
# Runs a node:test file of this folder under Bazel: the spec report goes to the test log and
# JUnit XML (with counts) to $XML_OUTPUT_FILE. Usage: run_node_test.sh FILE.js
set -euo pipefail

root="${TEST_SRCDIR:?run by bazel test}/${TEST_WORKSPACE:-kfed}"
here="${root}/e2e/browser"
export KFED_DASHBOARD_ASSETS="${root}/status/dashboard"
command -v node >/dev/null || { echo "node is not installed (Node.js 20 or newer)" >&2; exit 1; }
args=(--test-reporter=spec --test-reporter-destination=stdout)
if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  args+=(--test-reporter="${here}/junit_reporter.js" --test-reporter-destination="${XML_OUTPUT_FILE}")
fi
exec node "${args[@]}" "${here}/$1"
