#include "base/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace kfed::yaml {
namespace {

constexpr char kTagStr[] = "tag:yaml.org,2002:str";
constexpr char kTagInt[] = "tag:yaml.org,2002:int";
constexpr char kTagFloat[] = "tag:yaml.org,2002:float";
constexpr char kTagBool[] = "tag:yaml.org,2002:bool";
constexpr char kTagNull[] = "tag:yaml.org,2002:null";
constexpr char kTagMerge[] = "tag:yaml.org,2002:merge";

// Alias expansion can multiply a small text into an enormous tree ("billion laughs").
constexpr size_t kMaxValues = 1'000'000;

std::string Where(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ");
}

absl::Status ErrorAt(const YAML::Node& node, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("invalid YAML at ", Where(node.Mark()), message));
}

bool IsNullWord(absl::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// YAML 1.1 booleans, as go-yaml v2 (and so kubectl) resolves them.
bool IsTrueWord(absl::string_view s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "y" || s == "Y" || s == "yes" ||
         s == "Yes" || s == "YES" || s == "on" || s == "On" || s == "ON";
}
bool IsFalseWord(absl::string_view s) {
  return s == "false" || s == "False" || s == "FALSE" || s == "n" || s == "N" || s == "no" ||
         s == "No" || s == "NO" || s == "off" || s == "Off" || s == "OFF";
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsDecimalFloat(absl::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool IsSpecialFloat(absl::string_view s) {
  absl::string_view t = s;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  return t == ".inf" || t == ".Inf" || t == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN";
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

enum class NumberKind { kNone, kInt, kFloat };

// Resolves a plain scalar to a number the way go-yaml v2 does (Go's strconv.ParseInt with
// base 0 after dropping underscores, then the decimal float form): 0x/0o/0b prefixes, a
// leading 0 means octal (`defaultMode: 0644` is 420), ints beyond int64 become uint64, then
// double.
NumberKind ResolveNumber(absl::string_view text, rapidjson::Value& out) {
  std::string s;
  for (char c : text) {
    if (c != '_') s.push_back(c);
  }
  if (s.empty()) return NumberKind::kNone;
  absl::string_view digits = s;
  bool negative = false;
  if (digits[0] == '-' || digits[0] == '+') {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  bool is_int = !digits.empty();
  for (char c : digits) is_int = is_int && DigitValue(c) < base;
  if (is_int) {
    uint64_t magnitude = 0;
    bool overflow = false;
    for (char c : digits) {
      uint64_t d = static_cast<uint64_t>(DigitValue(c));
      if (magnitude > (UINT64_MAX - d) / static_cast<uint64_t>(base)) overflow = true;
      magnitude = magnitude * static_cast<uint64_t>(base) + d;
    }
    if (!overflow && !negative && magnitude <= static_cast<uint64_t>(INT64_MAX)) {
      out.SetInt64(static_cast<int64_t>(magnitude));
      return NumberKind::kInt;
    }
    if (!overflow && !negative) {
      out.SetUint64(magnitude);
      return NumberKind::kInt;
    }
    if (!overflow && negative && magnitude <= static_cast<uint64_t>(INT64_MAX) + 1) {
      out.SetInt64(magnitude == static_cast<uint64_t>(INT64_MAX) + 1
                       ? INT64_MIN
                       : -static_cast<int64_t>(magnitude));
      return NumberKind::kInt;
    }
    // Too big for 64 bits: go-yaml falls back to a float, or keeps the text.
  }
  if (IsDecimalFloat(s)) {
    double d = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(d)) return NumberKind::kNone;
    out.SetDouble(d);
    return NumberKind::kFloat;
  }
  return NumberKind::kNone;
}

class Converter {
 public:
  explicit Converter(rapidjson::Document::AllocatorType& alloc) : alloc_(alloc) {}

  absl::Status Convert(const YAML::Node& node, rapidjson::Value& out) {
    if (++values_ > kMaxValues) {
      return ErrorAt(node, absl::StrCat("more than ", kMaxValues, " values (alias expansion?)"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        if (node.Tag() == kTagStr) {
          out.SetString("", alloc_);
        } else {
          out.SetNull();
        }
        return absl::OkStatus();
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, out);
      case YAML::NodeType::Sequence: {
        out.SetArray();
        for (const YAML::Node& item : node) {
          rapidjson::Value v;
          if (absl::Status s = Convert(item, v); !s.ok()) return s;
          out.PushBack(v, alloc_);
        }
        return absl::OkStatus();
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, out);
    }
    return ErrorAt(node, "unknown node type");
  }

 private:
  absl::Status ConvertScalar(const YAML::Node& node, rapidjson::Value& out) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    // "!" is the non-specific tag of quoted and block scalars: always strings.
    if (tag == "!" || tag == kTagStr) {
      out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc_);
      return absl::OkStatus();
    }
    const bool plain = tag == "?" || tag.empty();
    if (tag == kTagNull || (plain && IsNullWord(text))) {
      if (!IsNullWord(text)) return ErrorAt(node, absl::StrCat("\"", text, "\" is not a null"));
      out.SetNull();
      return absl::OkStatus();
    }
    if (tag == kTagBool || (plain && (IsTrueWord(text) || IsFalseWord(text)))) {
      if (IsTrueWord(text)) {
        out.SetBool(true);
      } else if (IsFalseWord(text)) {
        out.SetBool(false);
      } else {
        return ErrorAt(node, absl::StrCat("\"", text, "\" is not a boolean"));
      }
      return absl::OkStatus();
    }
    if (IsSpecialFloat(text) && (plain || tag == kTagFloat)) {
      return ErrorAt(node, absl::StrCat("\"", text, "\" (infinity or NaN) has no JSON form"));
    }
    if (tag == kTagInt || tag == kTagFloat || plain) {
      NumberKind kind = ResolveNumber(text, out);
      if (kind == NumberKind::kNone && !plain) {
        return ErrorAt(
            node, absl::StrCat("\"", text, "\" is not a ", tag == kTagInt ? "integer" : "number"));
      }
      if (kind == NumberKind::kFloat && tag == kTagInt) {
        return ErrorAt(node, absl::StrCat("\"", text, "\" is not an integer"));
      }
      if (kind != NumberKind::kNone) {
        if (tag == kTagFloat && !out.IsDouble()) out.SetDouble(out.GetDouble());
        return absl::OkStatus();
      }
    }
    // Any other tag (binary, custom tags): keep the text.
    out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc_);
    return absl::OkStatus();
  }

  static bool IsMergeKey(const YAML::Node& key) {
    return key.IsScalar() && key.Scalar() == "<<" && (key.Tag() == "?" || key.Tag() == kTagMerge);
  }

  absl::Status KeyString(const YAML::Node& key, std::string& out) {
    if (key.IsNull()) {
      out = "null";
      return absl::OkStatus();
    }
    if (!key.IsScalar()) return ErrorAt(key, "mapping keys must be scalars");
    rapidjson::Document tmp;
    Converter c(tmp.GetAllocator());
    rapidjson::Value v;
    if (absl::Status s = c.ConvertScalar(key, v); !s.ok()) return s;
    if (v.IsString()) {
      out.assign(v.GetString(), v.GetStringLength());
    } else if (v.IsNull()) {
      out = "null";
    } else if (v.IsBool()) {
      out = v.GetBool() ? "true" : "false";
    } else if (v.IsInt64()) {
      out = absl::StrCat(v.GetInt64());
    } else if (v.IsUint64()) {
      out = absl::StrCat(v.GetUint64());
    } else {
      out = key.Scalar();
    }
    return absl::OkStatus();
  }

  absl::Status ConvertMap(const YAML::Node& node, rapidjson::Value& out) {
    out.SetObject();
    // Explicit keys first: duplicates are errors, and they win over merged ones.
    std::set<std::string> explicit_keys;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (IsMergeKey(it->first)) continue;
      std::string key;
      if (absl::Status s = KeyString(it->first, key); !s.ok()) return s;
      if (!explicit_keys.insert(key).second) {
        return ErrorAt(it->first, absl::StrCat("mapping key \"", key, "\" already defined"));
      }
    }
    std::set<std::string> added;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (IsMergeKey(it->first)) {
        if (absl::Status s = Merge(it->second, explicit_keys, added, out); !s.ok()) return s;
        continue;
      }
      std::string key;
      if (absl::Status s = KeyString(it->first, key); !s.ok()) return s;
      rapidjson::Value v;
      if (absl::Status s = Convert(it->second, v); !s.ok()) return s;
      added.insert(key);
      out.AddMember(
          rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), alloc_), v,
          alloc_);
    }
    return absl::OkStatus();
  }

  // `<<: *base` or `<<: [*a, *b]`: members of the merged maps not set explicitly (earlier
  // maps in a list win over later ones).
  absl::Status Merge(const YAML::Node& source, const std::set<std::string>& explicit_keys,
                     std::set<std::string>& added, rapidjson::Value& out) {
    std::vector<YAML::Node> maps;
    if (source.IsMap()) {
      maps.push_back(source);
    } else if (source.IsSequence()) {
      for (const YAML::Node& m : source) maps.push_back(m);
    }
    for (const YAML::Node& m : maps) {
      if (!m.IsMap()) return ErrorAt(m, "a merge key (<<) needs a mapping or a list of mappings");
      rapidjson::Value merged;
      if (absl::Status s = Convert(m, merged); !s.ok()) return s;
      for (auto& member : merged.GetObject()) {
        std::string key(member.name.GetString(), member.name.GetStringLength());
        if (explicit_keys.count(key) || added.count(key)) continue;
        added.insert(key);
        out.AddMember(rapidjson::Value(member.name, alloc_), rapidjson::Value(member.value, alloc_),
                      alloc_);
      }
    }
    if (maps.empty())
      return ErrorAt(source, "a merge key (<<) needs a mapping or a list of mappings");
    return absl::OkStatus();
  }

  rapidjson::Document::AllocatorType& alloc_;
  size_t values_ = 0;
};

absl::StatusOr<std::vector<YAML::Node>> LoadAll(absl::string_view text) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML at ", Where(e.mark), e.msg));
  }
}

// Strings a YAML 1.1 or 1.2 reader could resolve to something else when left unquoted.
bool NeedsQuotes(absl::string_view s) {
  if (IsNullWord(s) || IsTrueWord(s) || IsFalseWord(s)) return true;
  static const std::set<std::string, std::less<>> kYaml11 = {
      "y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no", "No",
      "NO", "on", "On",  "ON",  "off", "Off", "OFF", "<<", "=",
  };
  if (kYaml11.count(s)) return true;
  // Anything that starts like a number (ints, floats, 1.1 sexagesimals, timestamps).
  absl::string_view t = s;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (!t.empty() && t[0] == '.') t.remove_prefix(1);
  if (!t.empty() && IsDigit(t[0])) return true;
  if (IsSpecialFloat(s) || absl::StartsWith(t, "inf") || absl::StartsWith(t, "Inf") ||
      absl::StartsWith(t, "INF") || absl::StartsWith(t, "nan") || absl::StartsWith(t, "NaN")) {
    return true;
  }
  return false;
}

std::string NumberText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void EmitString(YAML::Emitter& out, absl::string_view s) {
  if (NeedsQuotes(s)) {
    out << YAML::DoubleQuoted << std::string(s);
  } else {
    out << std::string(s);
  }
}

void Emit(YAML::Emitter& out, const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out << YAML::Null;
      return;
    case rapidjson::kFalseType:
      out << false;
      return;
    case rapidjson::kTrueType:
      out << true;
      return;
    case rapidjson::kNumberType:
      out << NumberText(v);
      return;
    case rapidjson::kStringType:
      EmitString(out, absl::string_view(v.GetString(), v.GetStringLength()));
      return;
    case rapidjson::kArrayType:
      if (v.Empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      out << YAML::BeginSeq;
      for (const auto& item : v.GetArray()) Emit(out, item);
      out << YAML::EndSeq;
      return;
    case rapidjson::kObjectType:
      if (v.ObjectEmpty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      out << YAML::BeginMap;
      for (const auto& m : v.GetObject()) {
        out << YAML::Key;
        EmitString(out, absl::string_view(m.name.GetString(), m.name.GetStringLength()));
        out << YAML::Value;
        Emit(out, m.value);
      }
      out << YAML::EndMap;
      return;
  }
}

}  // namespace

absl::StatusOr<std::vector<rapidjson::Document>> ParseYamlStream(absl::string_view text) {
  auto nodes = LoadAll(text);
  if (!nodes.ok()) return nodes.status();
  std::vector<rapidjson::Document> docs;
  for (const YAML::Node& node : *nodes) {
    if (node.IsNull() && node.Tag() != kTagStr) continue;
    rapidjson::Document doc;
    Converter converter(doc.GetAllocator());
    if (absl::Status s = converter.Convert(node, doc); !s.ok()) return s;
    docs.push_back(std::move(doc));
  }
  return docs;
}

absl::StatusOr<rapidjson::Document> ParseYaml(absl::string_view text) {
  auto docs = ParseYamlStream(text);
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return rapidjson::Document();  // null
  if (docs->size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected one YAML document, found ", docs->size()));
  }
  return std::move(docs->front());
}

std::string ToYaml(const rapidjson::Value& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  out.SetBoolFormat(YAML::TrueFalseBool);
  out.SetBoolFormat(YAML::LowerCase);
  Emit(out, value);
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') s.push_back('\n');
  return s;
}

std::string ToYamlStream(const std::vector<const rapidjson::Value*>& documents) {
  std::string s;
  for (const rapidjson::Value* doc : documents) {
    absl::StrAppend(&s, "---\n", ToYaml(*doc));
  }
  return s;
}

}  // namespace kfed::yaml
