// libFuzzer target for kubeconfig parsing (kube/config.h: LoadKubeconfigFromString) and
// for KubeFedCluster configs (ConfigFromKubeFedCluster).
// Input (see testdata/kubeconfig_fuzzer_corpus/): a kubeconfig YAML text; when the text is
// a JSON array [KubeFedCluster, Secret], it is also given to ConfigFromKubeFedCluster.
// Exec plugins are never run; relative file paths resolve under a directory that does not
// exist. Besides "never crashes" (ASan/UBSan, and no exception escapes), it checks:
// - a loaded config names an http(s) server, and has a client certificate and key together;
// - a user's token never shows in an error: loading the same document with every token
//   replaced gives the same error message;
// - a KubeFedCluster's decoded token never shows in an error.
//
//   hack/fuzz.sh kubeconfig_fuzzer
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "kube/config.h"
#include "rapidjson/document.h"

namespace {

void Require(bool condition, const char* property) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

constexpr char kBaseDir[] = "/nonexistent/kfed-kubeconfig-fuzzer";

absl::StatusOr<kfed::kube::RestConfig> Load(absl::string_view yaml) {
  return kfed::kube::LoadKubeconfigFromString(yaml, "", "fuzz", kBaseDir,
                                              /*run_exec_plugins=*/false);
}

// Replaces every users[].user.token scalar; false when there is none.
bool ReplaceTokens(YAML::Node root) {
  bool replaced = false;
  if (!root.IsMap()) return false;
  YAML::Node users = root["users"];
  if (!users.IsSequence()) return false;
  for (std::size_t i = 0; i < users.size(); ++i) {
    YAML::Node item = users[i];
    if (!item.IsMap()) continue;
    YAML::Node user = item["user"];
    if (!user.IsMap()) continue;
    YAML::Node token = user["token"];
    if (!token.IsScalar()) continue;
    std::string value = token.Scalar();
    if (value.empty()) continue;
    for (char& c : value) c = c == 'x' ? 'y' : 'x';
    // A fresh node: the old one may be an alias shared with other fields.
    user.remove("token");
    user["token"] = YAML::Node(value);
    replaced = true;
  }
  return replaced;
}

void FuzzKubeconfig(absl::string_view text) {
  absl::StatusOr<kfed::kube::RestConfig> config = Load(text);
  if (config.ok()) {
    Require(absl::StartsWith(config->server, "https://") ||
                absl::StartsWith(config->server, "http://"),
            "a loaded config has an http(s) server");
    Require(config->client_cert_data.empty() == config->client_key_data.empty(),
            "client certificate and key come together");
  } else {
    Require(!config.status().message().empty(), "an error says why");
  }

  // Token redaction: emit the document twice, once with every token replaced; the outcome
  // must not depend on the token's text.
  // (yaml-cpp exceptions here come from this harness's own editing, not from kfed.)
  std::string original, changed;
  try {
    YAML::Node root = YAML::Load(std::string(text));
    YAML::Emitter original_out;
    original_out << root;
    if (!original_out.good()) return;
    original.assign(original_out.c_str(), original_out.size());
    YAML::Node copy = YAML::Clone(root);
    if (!ReplaceTokens(copy)) return;
    YAML::Emitter changed_out;
    changed_out << copy;
    if (!changed_out.good()) return;
    changed.assign(changed_out.c_str(), changed_out.size());
  } catch (const YAML::Exception&) {
    return;
  }
  absl::StatusOr<kfed::kube::RestConfig> a = Load(original);
  absl::StatusOr<kfed::kube::RestConfig> b = Load(changed);
  if (absl::StrContains(a.status().message(), "malformed YAML") ||
      absl::StrContains(b.status().message(), "malformed YAML")) {
    return;  // the emitter's quoting of another token may move line numbers
  }
  Require(a.ok() == b.ok(), "a token does not decide whether a kubeconfig loads");
  Require(a.status().message() == b.status().message(), "errors never show a token");
}

void FuzzKubeFedCluster(absl::string_view text) {
  absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(text);
  if (!doc.ok() || !doc->IsArray() || doc->Size() != 2) return;
  absl::StatusOr<kfed::kube::RestConfig> config =
      kfed::kube::ConfigFromKubeFedCluster((*doc)[0], (*doc)[1]);
  if (config.ok()) {
    Require(!config->bearer_token.empty(), "a KubeFedCluster config has a token");
    Require(absl::StartsWith(config->server, "https://") ||
                absl::StartsWith(config->server, "http://"),
            "a KubeFedCluster config has an http(s) server");
    return;
  }
  // The Secret's token, decoded, must not appear in the error (unless it is also part of
  // the rest of the input, e.g. the cluster's name).
  const rapidjson::Value* data = kfed::json::Find((*doc)[1], "data");
  std::string token_b64 = data ? kfed::json::GetString(*data, "token") : "";
  std::string token;
  if (token_b64.empty() || !absl::Base64Unescape(token_b64, &token) || token.size() < 8) return;
  std::string rest = text.data() == nullptr ? "" : std::string(text);
  std::size_t at = rest.find(token_b64);
  if (at != std::string::npos) rest.erase(at, token_b64.size());
  if (absl::StrContains(rest, token)) return;
  Require(!absl::StrContains(config.status().message(), token),
          "errors never show a KubeFedCluster token");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  FuzzKubeconfig(text);
  FuzzKubeFedCluster(text);
  return 0;
}
