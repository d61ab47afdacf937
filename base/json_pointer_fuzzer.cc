// libFuzzer target for RFC 6901 JSON pointers (base/json_pointer.h).
// Input (see testdata/json_pointer_fuzzer_corpus/): line 1 a pointer, the rest a JSON
// document to resolve it against. Besides "never crashes" (ASan/UBSan), it checks:
// - a parsed pointer prints back to exactly its input and parses again to itself;
// - escaping each token and joining them gives the same text (FromTokens round-trip);
// - Parent() is a proper prefix, LastToken() is the last token;
// - Resolve, ResolveMutable and Find agree, and ResolveParentMutable finds the container
//   Resolve went through;
// - an array index that parses prints back to the token.
//
//   hack/fuzz.sh json_pointer_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/json.h"
#include "base/json_pointer.h"
#include "rapidjson/document.h"

namespace {

using kfed::json::JsonPointer;

void Require(bool condition, const char* property) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

void CheckResolve(const JsonPointer& pointer, rapidjson::Document& doc) {
  absl::StatusOr<const rapidjson::Value*> resolved =
      pointer.Resolve(static_cast<const rapidjson::Value&>(doc));
  absl::StatusOr<rapidjson::Value*> mutable_resolved = pointer.ResolveMutable(doc);
  Require(resolved.ok() == mutable_resolved.ok(), "Resolve and ResolveMutable agree");
  Require(resolved.status() == mutable_resolved.status(), "Resolve errors agree");
  if (resolved.ok()) Require(*resolved == *mutable_resolved, "same value resolved");
  Require(pointer.Find(doc) == (resolved.ok() ? *resolved : nullptr), "Find agrees with Resolve");
  if (pointer.IsRoot()) {
    Require(resolved.ok() && *resolved == &doc, "the root pointer resolves to the document");
    Require(!pointer.ResolveParentMutable(doc).ok(), "the root has no parent");
    return;
  }
  absl::StatusOr<rapidjson::Value*> parent = pointer.ResolveParentMutable(doc);
  absl::StatusOr<rapidjson::Value*> via_parent = pointer.Parent().ResolveMutable(doc);
  Require(parent.ok() == via_parent.ok(), "ResolveParentMutable == Parent().ResolveMutable");
  if (parent.ok()) Require(*parent == *via_parent, "same parent resolved");
  if (resolved.ok()) {
    Require(parent.ok(), "a resolved value has a parent");
    Require((*parent)->IsObject() || (*parent)->IsArray(), "the parent is a container");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const absl::string_view text = input.substr(0, newline);
  const absl::string_view doc_text =
      newline == absl::string_view::npos ? "" : input.substr(newline + 1);

  absl::StatusOr<JsonPointer> pointer = JsonPointer::Parse(text);
  if (!pointer.ok()) {
    Require(!pointer.status().message().empty(), "a parse error says why");
    return 0;
  }
  Require(pointer->ToString() == text, "pointer text round-trips");
  absl::StatusOr<JsonPointer> again = JsonPointer::Parse(pointer->ToString());
  Require(again.ok() && *again == *pointer, "printed pointer parses to itself");
  std::string joined;
  for (const std::string& token : pointer->tokens()) {
    absl::StrAppend(&joined, "/", kfed::json::EscapeJsonPointerToken(token));
    absl::StatusOr<std::size_t> index = kfed::json::ParseArrayIndex(token);
    if (index.ok()) Require(absl::StrCat(*index) == token, "array index round-trips");
  }
  Require(joined == text, "escaped tokens join to the text");
  Require(JsonPointer::FromTokens(pointer->tokens()) == *pointer, "FromTokens round-trips");
  Require(pointer->IsRoot() == text.empty(), "only the empty text is the root");
  if (!pointer->IsRoot()) {
    JsonPointer parent = pointer->Parent();
    Require(parent.IsProperPrefixOf(*pointer), "the parent is a proper prefix");
    Require(!pointer->IsProperPrefixOf(parent), "a pointer is no prefix of its parent");
    Require(!pointer->IsProperPrefixOf(*pointer), "a pointer is no proper prefix of itself");
    Require(pointer->LastToken() == pointer->tokens().back(), "LastToken is the last token");
    Require(parent.tokens().size() + 1 == pointer->tokens().size(), "the parent is one shorter");
  }

  absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(doc_text);
  if (doc.ok()) CheckResolve(*pointer, *doc);
  return 0;
}
