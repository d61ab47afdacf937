#include "base/json_pointer.h"

#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"

namespace kfed::json {
namespace {

// The text form of the first `count` tokens, for error messages (the root, whose text is
// empty, is spelled out).
std::string PrefixText(const std::vector<std::string>& tokens, std::size_t count) {
  if (count == 0) return "the document root";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    absl::StrAppend(&out, "/", EscapeJsonPointerToken(tokens[i]));
  }
  return out;
}

// One step of resolution shared by the const and mutable variants. `Value` is
// rapidjson::Value or const rapidjson::Value.
template <typename Value>
absl::StatusOr<Value*> Step(Value* current, const std::vector<std::string>& tokens, std::size_t i) {
  const std::string& token = tokens[i];
  if (current->IsObject()) {
    auto it = current->FindMember(
        rapidjson::StringRef(token.data(), static_cast<rapidjson::SizeType>(token.size())));
    if (it == current->MemberEnd()) {
      if (i + 1 == tokens.size()) return absl::NotFoundError("path not found");
      return absl::NotFoundError(
          absl::StrCat("path not found: ", PrefixText(tokens, i + 1), " does not exist"));
    }
    return &it->value;
  }
  if (current->IsArray()) {
    if (token == "-") {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"-\" refers to the (nonexistent) element after the last in ", PrefixText(tokens, i)));
    }
    absl::StatusOr<std::size_t> index = ParseArrayIndex(token);
    if (!index.ok()) return index.status();
    if (*index >= current->Size()) {
      return absl::NotFoundError(absl::StrCat("array index ", *index, " out of range at ",
                                              PrefixText(tokens, i), " (size ", current->Size(),
                                              ")"));
    }
    return &(*current)[static_cast<rapidjson::SizeType>(*index)];
  }
  return absl::InvalidArgumentError(absl::StrCat("cannot traverse ", PrefixText(tokens, i),
                                                 ": it is ", json::TypeName(*current),
                                                 ", not an object or array"));
}

// Resolves the first `count` tokens.
template <typename Value>
absl::StatusOr<Value*> ResolveTokens(Value* root, const std::vector<std::string>& tokens,
                                     std::size_t count) {
  Value* current = root;
  for (std::size_t i = 0; i < count; ++i) {
    absl::StatusOr<Value*> next = Step(current, tokens, i);
    if (!next.ok()) return next.status();
    current = *next;
  }
  return current;
}

}  // namespace

absl::StatusOr<JsonPointer> JsonPointer::Parse(absl::string_view text) {
  if (text.empty()) return JsonPointer();
  if (text[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON pointer \"", text, "\": must be empty or start with \"/\""));
  }
  std::vector<std::string> tokens;
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    char c = text[i];
    if (c != '~') {
      token.push_back(c);
      continue;
    }
    if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
      token.push_back(text[i + 1] == '0' ? '~' : '/');
      ++i;
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON pointer \"", text,
                                                   "\": \"~\" must be followed by \"0\" or \"1\""));
  }
  return JsonPointer(std::move(tokens));
}

JsonPointer JsonPointer::FromTokens(std::vector<std::string> tokens) {
  return JsonPointer(std::move(tokens));
}

std::string JsonPointer::ToString() const {
  return tokens_.empty() ? "" : PrefixText(tokens_, tokens_.size());
}

JsonPointer JsonPointer::Parent() const {
  return JsonPointer(std::vector<std::string>(tokens_.begin(), tokens_.end() - 1));
}

const std::string& JsonPointer::LastToken() const { return tokens_.back(); }

bool JsonPointer::IsProperPrefixOf(const JsonPointer& other) const {
  if (tokens_.size() >= other.tokens_.size()) return false;
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i] != other.tokens_[i]) return false;
  }
  return true;
}

absl::StatusOr<const rapidjson::Value*> JsonPointer::Resolve(const rapidjson::Value& root) const {
  return ResolveTokens(&root, tokens_, tokens_.size());
}

absl::StatusOr<rapidjson::Value*> JsonPointer::ResolveMutable(rapidjson::Value& root) const {
  return ResolveTokens(&root, tokens_, tokens_.size());
}

absl::StatusOr<rapidjson::Value*> JsonPointer::ResolveParentMutable(rapidjson::Value& root) const {
  if (tokens_.empty()) return absl::InvalidArgumentError("the document root has no parent");
  return ResolveTokens(&root, tokens_, tokens_.size() - 1);
}

const rapidjson::Value* JsonPointer::Find(const rapidjson::Value& root) const {
  absl::StatusOr<const rapidjson::Value*> found = Resolve(root);
  return found.ok() ? *found : nullptr;
}

std::string EscapeJsonPointerToken(absl::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::size_t> ParseArrayIndex(absl::string_view token) {
  if (token.empty()) {
    return absl::InvalidArgumentError("invalid array index \"\": must be a non-negative integer");
  }
  for (char c : token) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid array index \"", token, "\": must be a non-negative integer"));
    }
  }
  if (token.size() > 1 && token[0] == '0') {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid array index \"", token, "\": leading zeros are not allowed"));
  }
  std::size_t value = 0;
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  for (char c : token) {
    std::size_t digit = static_cast<std::size_t>(c - '0');
    if (value > (kMax - digit) / 10) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid array index \"", token, "\": too large"));
    }
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace kfed::json
