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

bool IsTrueWord(absl::string_view s) { return s == "true" || s == "True" || s == "TRUE"; }
bool IsFalseWord(absl::string_view s) { return s == "false" || s == "False" || s == "FALSE"; }

bool AllOf(absl::string_view s, bool (*pred)(unsigned char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsOctal(unsigned char c) { return c >= '0' && c <= '7'; }
bool IsHex(unsigned char c) { return absl::ascii_isxdigit(c); }

// YAML 1.2 core schema float: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool IsCoreFloat(absl::string_view s) {
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

enum class IntForm { kNone, kDecimal, kOctal, kHex };

IntForm ClassifyInt(absl::string_view s) {
  if (absl::StartsWith(s, "0o") && AllOf(s.substr(2), IsOctal)) return IntForm::kOctal;
  if (absl::StartsWith(s, "0x") && AllOf(s.substr(2), IsHex)) return IntForm::kHex;
  absl::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (AllOf(digits, IsDigit)) return IntForm::kDecimal;
  return IntForm::kNone;
}

// Sets `out` to the number `text` denotes, preferring int64, then uint64, then double.
bool SetNumber(absl::string_view text, IntForm form, rapidjson::Value& out) {
  std::string s(text);
  if (form == IntForm::kOctal || form == IntForm::kHex) {
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str() + 2, nullptr, form == IntForm::kOctal ? 8 : 16);
    if (errno == ERANGE) return false;
    if (v <= static_cast<unsigned long long>(INT64_MAX)) {
      out.SetInt64(static_cast<int64_t>(v));
    } else {
      out.SetUint64(v);
    }
    return true;
  }
  if (form == IntForm::kDecimal) {
    int64_t i;
    uint64_t u;
    if (absl::SimpleAtoi(s, &i)) {
      out.SetInt64(i);
      return true;
    }
    if (absl::SimpleAtoi(s, &u)) {
      out.SetUint64(u);
      return true;
    }
  }
  double d = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(d)) return false;
  out.SetDouble(d);
  return true;
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
    IntForm form = ClassifyInt(text);
    bool is_float = form == IntForm::kNone && IsCoreFloat(text);
    if (tag == kTagInt || tag == kTagFloat || (plain && (form != IntForm::kNone || is_float))) {
      if (IsSpecialFloat(text)) {
        return ErrorAt(node, absl::StrCat("\"", text, "\" (infinity or NaN) has no JSON form"));
      }
      if ((form == IntForm::kNone && !is_float) || (tag == kTagInt && form == IntForm::kNone)) {
        return ErrorAt(node, absl::StrCat("\"", text, "\" is not a ", tag == kTagInt ? "integer" : "number"));
      }
      if (!SetNumber(text, form, out)) {
        return ErrorAt(node, absl::StrCat("number \"", text, "\" is out of range"));
      }
      if (tag == kTagFloat && !out.IsDouble()) out.SetDouble(out.GetDouble());
      return absl::OkStatus();
    }
    if (plain && IsSpecialFloat(text)) {
      return ErrorAt(node, absl::StrCat("\"", text, "\" (infinity or NaN) has no JSON form"));
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
      out.AddMember(rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), alloc_),
                    v, alloc_);
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
        out.AddMember(rapidjson::Value(member.name, alloc_), rapidjson::Value(member.value, alloc_), alloc_);
      }
    }
    if (maps.empty()) return ErrorAt(source, "a merge key (<<) needs a mapping or a list of mappings");
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
      "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
      "on", "On", "ON", "off", "Off", "OFF", "<<", "=",
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
