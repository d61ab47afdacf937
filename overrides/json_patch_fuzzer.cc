// libFuzzer target for JSON pointer parsing, JSON Patch, JSON Merge Patch and KubeFed
// overrides. Input format (see testdata/json_patch_fuzzer_corpus/):
//   line 1: a JSON pointer
//   line 2: a JSON document
//   rest:   a JSON value used as a JSON Patch, a merge patch and a spec.overrides array
// Besides "never crashes" (ASan/UBSan), it checks properties:
// - a parsed pointer prints back to exactly its input, and parses again to itself;
// - a patch or override that fails leaves the document byte-for-byte unchanged;
// - ApplyClusterOverrides fails whenever ValidateOverrides does;
// - a merge patch is idempotent.
//
//   hack/fuzz.sh json_patch_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "base/json_patch.h"
#include "base/json_pointer.h"
#include "overrides/overrides.h"
#include "rapidjson/document.h"

namespace {

using kfed::json::JsonPointer;

void Require(bool condition, const char* property) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

void FuzzPointer(absl::string_view text, const rapidjson::Value* doc) {
  absl::StatusOr<JsonPointer> pointer = JsonPointer::Parse(text);
  if (!pointer.ok()) return;
  Require(pointer->ToString() == text, "pointer text round-trips");
  absl::StatusOr<JsonPointer> again = JsonPointer::Parse(pointer->ToString());
  Require(again.ok() && *again == *pointer, "printed pointer parses to itself");
  for (const std::string& token : pointer->tokens()) {
    absl::StatusOr<std::size_t> index = kfed::json::ParseArrayIndex(token);
    if (index.ok()) Require(absl::StrCat(*index) == token, "array index round-trips");
  }
  if (doc != nullptr) (void)pointer->Resolve(*doc);
}

// The first clusterName in `overrides`, so that overrides get applied, not just skipped.
std::string SomeCluster(const rapidjson::Value& overrides) {
  if (overrides.IsArray() && !overrides.Empty() && overrides[0].IsObject()) {
    std::string name = kfed::json::GetString(overrides[0], "clusterName");
    if (!name.empty()) return name;
  }
  return "member1";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t first = input.find('\n');
  absl::string_view pointer_text = input.substr(0, first);
  absl::string_view rest = first == absl::string_view::npos ? "" : input.substr(first + 1);
  std::size_t second = rest.find('\n');
  absl::string_view doc_text = rest.substr(0, second);
  absl::string_view patch_text = second == absl::string_view::npos ? "" : rest.substr(second + 1);

  absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(doc_text);
  FuzzPointer(pointer_text, doc.ok() ? &*doc : nullptr);
  absl::StatusOr<rapidjson::Document> patch = kfed::json::Parse(patch_text);
  if (!doc.ok() || !patch.ok()) return 0;
  const std::string original = kfed::json::Serialize(*doc);

  {
    rapidjson::Document target = kfed::json::Clone(*doc);
    if (!kfed::json::ApplyJsonPatch(*patch, &target).ok()) {
      Require(kfed::json::Serialize(target) == original, "failed JSON patch leaves doc unchanged");
    }
  }
  {
    rapidjson::Document once = kfed::json::Clone(*doc);
    Require(kfed::json::ApplyMergePatch(*patch, &once).ok(), "merge patch succeeds");
    rapidjson::Document twice = kfed::json::Clone(once);
    Require(kfed::json::ApplyMergePatch(*patch, &twice).ok(), "merge patch succeeds");
    Require(kfed::json::Serialize(once) == kfed::json::Serialize(twice),
            "merge patch is idempotent");
  }
  {
    rapidjson::Document target = kfed::json::Clone(*doc);
    const bool valid = kfed::overrides::ValidateOverrides(*patch).ok();
    absl::Status applied =
        kfed::overrides::ApplyClusterOverrides(*patch, SomeCluster(*patch), &target);
    if (!valid) Require(!applied.ok(), "invalid overrides are not applied");
    if (!applied.ok()) {
      Require(kfed::json::Serialize(target) == original, "failed overrides leave doc unchanged");
    }
    (void)kfed::overrides::OverridePathsForCluster(*patch, SomeCluster(*patch));
  }
  return 0;
}
