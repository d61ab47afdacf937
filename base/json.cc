#include "base/json.h"

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace kfed::json {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RapidJSON 1.1.0's full-precision parser normalizes a zero significand with
// __builtin_clzll(0) (undefined; found by the fuzzers' UBSan) when the exponent is beyond
// its fast path, and returns garbage: "0e80" parses as 2.57e+61. Rewrites each such number
// outside strings ("0e80", "-0.00E-99") to "0.0"/"-0.0" padded with spaces, so the value
// is the right zero and error offsets stay the same. Returns false when there is none.
bool RewriteZeroExponents(absl::string_view text, std::string* out) {
  bool in_string = false;
  bool rewritten = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !IsDigit(c)) continue;
    // A number as RapidJSON reads it: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?,
    // stopping where the grammar does (what follows is the next token or an error).
    size_t j = c == '-' ? i + 1 : i;
    if (j >= text.size() || !IsDigit(text[j])) continue;
    bool zero = text[j] == '0';
    if (zero) {
      ++j;
    } else {
      while (j < text.size() && IsDigit(text[j])) ++j;
    }
    if (j + 1 < text.size() && text[j] == '.' && IsDigit(text[j + 1])) {
      for (++j; j < text.size() && IsDigit(text[j]); ++j) zero = zero && text[j] == '0';
    }
    bool exponent = false;
    if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
      size_t k = j + 1;
      if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
      if (k < text.size() && IsDigit(text[k])) {
        exponent = true;
        for (j = k; j < text.size() && IsDigit(text[j]); ++j) {
        }
      }
    }
    // At least one space must follow the zero so that it cannot merge with what comes next
    // ("0e8e80" is "0e8" and an error, never "0.0e80"). Tokens no longer than "0.0" have a
    // one-digit exponent, which RapidJSON's fast path handles correctly.
    std::string replacement(c == '-' ? "-0.0" : "0.0");
    if (zero && exponent && j - i > replacement.size()) {
      if (!rewritten) *out = std::string(text);
      rewritten = true;
      replacement.resize(j - i, ' ');
      out->replace(i, j - i, replacement);
    }
    i = j - 1;
  }
  return rewritten;
}

}  // namespace

absl::StatusOr<rapidjson::Document> Parse(absl::string_view text) {
  rapidjson::Document doc;
  std::string rewritten;
  if (RewriteZeroExponents(text, &rewritten)) text = rewritten;
  // Full precision: doubles must round-trip exactly, or KubeFed-compatible hashes of
  // templates holding them would differ from Go's.
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

std::string Serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string SerializePretty(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

rapidjson::Document Clone(const rapidjson::Value& value) {
  rapidjson::Document doc;
  doc.CopyFrom(value, doc.GetAllocator());
  return doc;
}

const rapidjson::Value* Find(const rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* FindMutable(rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const rapidjson::Value* FindPath(const rapidjson::Value& object,
                                 std::initializer_list<absl::string_view> path) {
  const rapidjson::Value* current = &object;
  for (absl::string_view name : path) {
    current = Find(*current, name);
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::string GetString(const rapidjson::Value& object, absl::string_view name,
                      absl::string_view fallback) {
  const rapidjson::Value* v = Find(object, name);
  if (v == nullptr || !v->IsString()) return std::string(fallback);
  return std::string(v->GetString(), v->GetStringLength());
}

void Set(rapidjson::Value& object, absl::string_view name, const rapidjson::Value& value,
         rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value copy(value, alloc);
  if (rapidjson::Value* existing = FindMutable(object, name)) {
    *existing = std::move(copy);
    return;
  }
  object.AddMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc), copy,
      alloc);
}

void SetString(rapidjson::Value& object, absl::string_view name, absl::string_view value,
               rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value v(value.data(), static_cast<rapidjson::SizeType>(value.size()), alloc);
  if (rapidjson::Value* existing = FindMutable(object, name)) {
    *existing = std::move(v);
    return;
  }
  object.AddMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc), v,
      alloc);
}

rapidjson::Value& EnsureObject(rapidjson::Value& object, absl::string_view name,
                               rapidjson::Document::AllocatorType& alloc) {
  if (rapidjson::Value* existing = FindMutable(object, name)) {
    if (!existing->IsObject()) existing->SetObject();
    return *existing;
  }
  object.AddMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc),
      rapidjson::Value(rapidjson::kObjectType), alloc);
  return (object.MemberEnd() - 1)->value;
}

bool Remove(rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return false;
  return object.RemoveMember(rapidjson::StringRef(name.data(), name.size()));
}

const char* TypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

bool Equal(const rapidjson::Value& a, const rapidjson::Value& b) { return a == b; }

}  // namespace kfed::json
