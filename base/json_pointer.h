// RFC 6901 JSON Pointer over RapidJSON values.
//
// A pointer is either "" (the whole document) or a sequence of "/"-prefixed reference
// tokens, where "~1" stands for "/" and "~0" for "~". Parsing rejects any other "~" escape
// and text that neither is empty nor starts with "/". Nothing here asserts on user input:
// problems come back as absl::Status with a message a user can act on.
#ifndef KFED_BASE_JSON_POINTER_H_
#define KFED_BASE_JSON_POINTER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::json {

class JsonPointer {
 public:
  // The root pointer "".
  JsonPointer() = default;

  // Parses `text`; kInvalidArgument names the problem, e.g.
  //   `invalid JSON pointer "a/b": must be empty or start with "/"`
  //   `invalid JSON pointer "/a~2": "~" must be followed by "0" or "1"`
  static absl::StatusOr<JsonPointer> Parse(absl::string_view text);

  // A pointer made of already unescaped tokens.
  static JsonPointer FromTokens(std::vector<std::string> tokens);

  const std::vector<std::string>& tokens() const { return tokens_; }
  bool IsRoot() const { return tokens_.empty(); }

  // The RFC 6901 text form, escaping "~" and "/" in tokens. Parse(p.ToString()) == p.
  std::string ToString() const;

  // The pointer without its last token. Requires !IsRoot().
  JsonPointer Parent() const;
  // The last token. Requires !IsRoot().
  const std::string& LastToken() const;

  // True when `this` is a proper prefix of `other` ("/a" of "/a/b", not of "/a" or "/ab").
  bool IsProperPrefixOf(const JsonPointer& other) const;

  // The value this pointer refers to in `root`. kNotFound when a member or an array index
  // is missing ("path not found", "array index 5 out of range (size 2)"), kInvalidArgument
  // when a token cannot address an array ("01", "-") or traverses a scalar.
  absl::StatusOr<const rapidjson::Value*> Resolve(const rapidjson::Value& root) const;
  absl::StatusOr<rapidjson::Value*> ResolveMutable(rapidjson::Value& root) const;

  // The value holding the last token (the container an add or remove works on). A missing
  // container is reported as "path not found: /a/b does not exist"; the root has none
  // (kInvalidArgument).
  absl::StatusOr<rapidjson::Value*> ResolveParentMutable(rapidjson::Value& root) const;

  // Convenience: the referenced value, or nullptr when Resolve fails.
  const rapidjson::Value* Find(const rapidjson::Value& root) const;

  friend bool operator==(const JsonPointer& a, const JsonPointer& b) {
    return a.tokens_ == b.tokens_;
  }
  friend bool operator!=(const JsonPointer& a, const JsonPointer& b) { return !(a == b); }

 private:
  explicit JsonPointer(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

  std::vector<std::string> tokens_;
};

// Escapes one reference token ("~" -> "~0", "/" -> "~1").
std::string EscapeJsonPointerToken(absl::string_view token);

// Parses an RFC 6901 array index: "0" or a digit string without leading zeros that fits
// in size_t. "-" is not an index (callers that accept it check for it first).
// kInvalidArgument otherwise, e.g. `invalid array index "01": leading zeros are not allowed`.
absl::StatusOr<std::size_t> ParseArrayIndex(absl::string_view token);

}  // namespace kfed::json

#endif  // KFED_BASE_JSON_POINTER_H_
