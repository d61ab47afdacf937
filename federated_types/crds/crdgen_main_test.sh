#!/usr/bin/env bash
# kfed-crdgen end to end: --help, a CRD as the target (the static KubeFedCluster CRD), an
# OpenAPI document as the target, and errors that exit non-zero with a message.
set -uo pipefail
CRDGEN="$1"
DIR=federated_types/crds
TMP="${TEST_TMPDIR:-/tmp}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

"${CRDGEN}" --help | grep -q -- "--openapi" || fail "--help does not describe --openapi"

"${CRDGEN}" --crd "${DIR}/kubefedclusters.yaml" -o "${TMP}/kfc.yaml" || fail "--crd exited $?"
grep -q "^    kind: FederatedKubeFedCluster$" "${TMP}/kfc.yaml" || fail "--crd: no FederatedKubeFedCluster"
grep -q "^      - fkfc$" "${TMP}/kfc.yaml" || fail "--crd: short name fkfc missing"
grep -q "^  name: kubefedclusters.core.kubefed.io$" "${TMP}/kfc.yaml" || fail "--crd: FTC name wrong"

"${CRDGEN}" --openapi "${DIR}/testdata/openapi/apis_apps_v1.json" --group apps --version v1 --kind StatefulSet \
  --plural statefulsets --short-name sts > "${TMP}/sts.yaml" || fail "--openapi exited $?"
grep -q "^  name: federatedstatefulsets.types.kubefed.io$" "${TMP}/sts.yaml" || fail "--openapi: CRD name"
grep -q "^                retainReplicas:$" "${TMP}/sts.yaml" || fail "--openapi: StatefulSet lacks retainReplicas"

out="$("${CRDGEN}" --openapi "${DIR}/testdata/openapi/apis_apps_v1.json" --group apps --version v1 --kind Nope \
  --plural nopes 2>&1)" && fail "unknown kind exited 0"
[[ "${out}" == *"x-kubernetes-group-version-kind apps/v1, Kind=Nope"* ]] || fail "unknown kind message: ${out}"

out="$("${CRDGEN}" --kind Deployment 2>&1)" && fail "no input exited 0"
[[ "${out}" == *"give exactly one of --openapi, --crd or --default-types"* ]] || fail "no input message: ${out}"

out="$("${CRDGEN}" --crd /nonexistent.yaml 2>&1)" && fail "missing file exited 0"
[[ "${out}" == *"cannot read /nonexistent.yaml"* ]] || fail "missing file message: ${out}"

printf 'a: [1\n' > "${TMP}/bad.yaml"
out="$("${CRDGEN}" --crd "${TMP}/bad.yaml" 2>&1)" && fail "bad YAML exited 0"
[[ "${out}" == *"bad.yaml: invalid YAML at line "* ]] || fail "bad YAML message: ${out}"

if (( failures > 0 )); then echo "${failures} failure(s)"; exit 1; fi
echo PASS
