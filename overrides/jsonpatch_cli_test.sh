#!/bin/sh
# Runs kfed-jsonpatch end to end: patch, merge patch and overrides from files and stdin,
# and the error exits. Usage: jsonpatch_cli_test.sh PATH_TO_kfed-jsonpatch
set -u
BIN="$1"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect_output NAME WANT CMD...: CMD must exit 0 and print exactly WANT.
expect_output() {
  name="$1"; want="$2"; shift 2
  got="$("$@" 2>"$TMP/stderr")"
  code=$?
  [ "$code" -eq 0 ] || fail "$name: exit $code, stderr: $(cat "$TMP/stderr")"
  [ "$got" = "$want" ] || fail "$name: got '$got', want '$want'"
}

# expect_error NAME MESSAGE CMD...: CMD must exit non-zero with MESSAGE on stderr and
# nothing on stdout.
expect_error() {
  name="$1"; message="$2"; shift 2
  "$@" >"$TMP/stdout" 2>"$TMP/stderr"
  code=$?
  [ "$code" -ne 0 ] || fail "$name: exit 0, want non-zero"
  grep -qF -- "$message" "$TMP/stderr" || fail "$name: stderr '$(cat "$TMP/stderr")' lacks '$message'"
  [ ! -s "$TMP/stdout" ] || fail "$name: unexpected stdout '$(cat "$TMP/stdout")'"
}

cat >"$TMP/doc.json" <<'JSON'
{"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 1}}
JSON
cat >"$TMP/patch.json" <<'JSON'
[{"op": "replace", "path": "/spec/replicas", "value": 3},
 {"op": "add", "path": "/metadata/labels", "value": {"tier": "gold"}}]
JSON
cat >"$TMP/bad_patch.json" <<'JSON'
[{"op": "add", "path": "/spec/paused", "value": true},
 {"op": "remove", "path": "/spec/strategy"}]
JSON
cat >"$TMP/merge.json" <<'JSON'
{"spec": {"replicas": null, "paused": true}}
JSON
cat >"$TMP/federated.json" <<'JSON'
{"kind": "FederatedDeployment", "spec": {"overrides": [
  {"clusterName": "member2", "clusterOverrides": [{"path": "/spec/replicas", "value": 5}]}]}}
JSON
cat >"$TMP/forbidden.json" <<'JSON'
[{"clusterName": "member2", "clusterOverrides": [{"path": "/metadata/name", "value": "x"}]}]
JSON

expect_output "patch from file" \
  '{"kind":"Deployment","metadata":{"name":"web","labels":{"tier":"gold"}},"spec":{"replicas":3}}' \
  "$BIN" --compact --patch "$TMP/patch.json" "$TMP/doc.json"
expect_output "document from stdin" \
  '{"kind":"Deployment","metadata":{"name":"web","labels":{"tier":"gold"}},"spec":{"replicas":3}}' \
  sh -c '"$0" --compact --patch "$1" < "$2"' "$BIN" "$TMP/patch.json" "$TMP/doc.json"
expect_output "patch from stdin" \
  '{"kind":"Deployment","metadata":{"name":"web","labels":{"tier":"gold"}},"spec":{"replicas":3}}' \
  sh -c '"$0" --compact --patch - "$2" < "$1"' "$BIN" "$TMP/patch.json" "$TMP/doc.json"
expect_output "merge patch" \
  '{"kind":"Deployment","metadata":{"name":"web"},"spec":{"paused":true}}' \
  "$BIN" --compact --merge --patch "$TMP/merge.json" "$TMP/doc.json"
expect_output "overrides from a federated object" \
  '{"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5}}' \
  "$BIN" --compact --overrides "$TMP/federated.json" --cluster member2 "$TMP/doc.json"
expect_output "overrides for a cluster without any" \
  '{"kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1}}' \
  "$BIN" --compact --overrides "$TMP/federated.json" --cluster member1 "$TMP/doc.json"
# Pretty output by default.
"$BIN" --patch "$TMP/patch.json" "$TMP/doc.json" | grep -q '^    "replicas": 3$' \
  || fail "pretty output"
"$BIN" --help | grep -q 'Examples:' || fail "--help shows examples"

expect_error "failing operation" \
  'kfed-jsonpatch: operation 1 (remove /spec/strategy): path not found' \
  "$BIN" --patch "$TMP/bad_patch.json" "$TMP/doc.json"
expect_error "forbidden override" \
  'kfed-jsonpatch: overrides[0] for cluster "member2": clusterOverrides[0]: path "/metadata/name" may not be overridden' \
  "$BIN" --overrides "$TMP/forbidden.json" --cluster member2 "$TMP/doc.json"
expect_error "missing file" 'kfed-jsonpatch: cannot read' \
  "$BIN" --patch "$TMP/nonexistent.json" "$TMP/doc.json"
expect_error "invalid JSON" 'kfed-jsonpatch: document' \
  sh -c 'echo "{" | "$0" --patch "$1"' "$BIN" "$TMP/patch.json"
expect_error "no patch" 'one of --patch or --overrides is required' "$BIN" "$TMP/doc.json"
expect_error "cluster without overrides" '--cluster' \
  "$BIN" --patch "$TMP/patch.json" --cluster member2 "$TMP/doc.json"
expect_error "both from stdin" 'cannot both come from stdin' "$BIN" --patch - -

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "PASS"
