#include "base/label_selector.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/k8s_names.h"
#include "base/status_macros.h"

namespace kfed::k8s {
namespace {

using rapidjson::Value;

absl::Status Invalid(absl::string_view field, absl::string_view message) {
  if (field.empty()) return absl::InvalidArgumentError(message);
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

std::string Join(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  return absl::StrCat(a, ".", b);
}

bool HasValue(const Requirement& r, const std::string& value) {
  return std::find(r.values.begin(), r.values.end(), value) != r.values.end();
}

// ---- String form ------------------------------------------------------------------------

enum class Tok {
  kIdent,
  kNot,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kIn,
  kNotIn,
  kOpen,
  kClose,
  kComma,
  kEnd,
  kError
};

struct Token {
  Tok type;
  std::string text;
};

bool IsSpecial(char c) {
  return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

std::vector<Token> Lex(absl::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kNotEquals, "!="});
      i += 2;
    } else if (c == '!') {
      out.push_back({Tok::kNot, "!"});
      ++i;
    } else if (c == '=' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kDoubleEquals, "=="});
      i += 2;
    } else if (c == '=') {
      out.push_back({Tok::kEquals, "="});
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::kOpen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Tok::kClose, ")"});
      ++i;
    } else if (c == ',') {
      out.push_back({Tok::kComma, ","});
      ++i;
    } else if (c == '<' || c == '>') {
      out.push_back({Tok::kError, std::string(1, c)});
      ++i;
    } else {
      size_t start = i;
      while (i < s.size() && !IsSpecial(s[i]) &&
             !absl::ascii_isspace(static_cast<unsigned char>(s[i]))) {
        ++i;
      }
      std::string word(s.substr(start, i - start));
      if (word == "in") {
        out.push_back({Tok::kIn, word});
      } else if (word == "notin") {
        out.push_back({Tok::kNotIn, word});
      } else {
        out.push_back({Tok::kIdent, word});
      }
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

// "in" and "notin" are keywords only where an operator may stand; as a key or a value they
// are names (apimachinery's parser reads keys and values in its "Values" context).
bool IsName(const Token& t) {
  return t.type == Tok::kIdent || t.type == Tok::kIn || t.type == Tok::kNotIn;
}

class StringParser {
 public:
  explicit StringParser(absl::string_view text) : text_(text), tokens_(Lex(text)) {}

  absl::StatusOr<std::vector<Requirement>> Parse() {
    std::vector<Requirement> requirements;
    if (Peek().type == Tok::kEnd) return requirements;
    while (true) {
      ASSIGN_OR_RETURN(Requirement r, ParseRequirement());
      requirements.push_back(std::move(r));
      const Token& t = Next();
      if (t.type == Tok::kEnd) break;
      if (t.type != Tok::kComma) return Error(absl::StrCat("found '", t.text, "', expected: ','"));
    }
    return requirements;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  absl::Status Error(absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat("unable to parse requirement \"", text_, "\": ", message));
  }

  absl::StatusOr<Requirement> ParseRequirement() {
    if (Peek().type == Tok::kNot) {
      Next();
      const Token& key = Next();
      if (!IsName(key)) {
        return Error(absl::StrCat("found '", key.text, "', expected: identifier after '!'"));
      }
      return NewRequirement(key.text, SelectorOperator::kDoesNotExist, {});
    }
    const Token key = Next();
    if (!IsName(key)) {
      return Error(absl::StrCat("found '", key.text, "', expected: identifier"));
    }
    const Token& op = Peek();
    switch (op.type) {
      case Tok::kComma:
      case Tok::kEnd:
        return NewRequirement(key.text, SelectorOperator::kExists, {});
      case Tok::kEquals:
      case Tok::kDoubleEquals:
      case Tok::kNotEquals: {
        const SelectorOperator sop =
            op.type == Tok::kNotEquals ? SelectorOperator::kNotEquals : SelectorOperator::kEquals;
        Next();
        std::string value;
        if (IsName(Peek())) {
          value = Next().text;
        } else if (Peek().type != Tok::kComma && Peek().type != Tok::kEnd) {
          return Error(absl::StrCat("found '", Peek().text, "', expected: identifier"));
        }
        return NewRequirement(key.text, sop, {value});
      }
      case Tok::kIn:
      case Tok::kNotIn: {
        const SelectorOperator sop =
            op.type == Tok::kIn ? SelectorOperator::kIn : SelectorOperator::kNotIn;
        Next();
        if (Next().type != Tok::kOpen) return Error("expected: '('");
        std::vector<std::string> values;
        if (Peek().type == Tok::kClose) {
          Next();
          values.push_back("");  // "()" is the set holding "", as in Kubernetes
        } else {
          while (true) {
            if (IsName(Peek())) {
              values.push_back(Next().text);
            } else if (Peek().type == Tok::kComma || Peek().type == Tok::kClose) {
              values.push_back("");  // "(a,)" has an empty value, as in Kubernetes
            } else {
              return Error(absl::StrCat("found '", Peek().text, "', expected: identifier"));
            }
            const Token& sep = Next();
            if (sep.type == Tok::kClose) break;
            if (sep.type != Tok::kComma) {
              return Error(absl::StrCat("found '", sep.text, "', expected: ',' or ')'"));
            }
          }
        }
        return NewRequirement(key.text, sop, std::move(values));
      }
      default:
        return Error(absl::StrCat("found '", op.text,
                                  "', expected: in, notin, =, ==, !=, or end of string"));
    }
  }

  absl::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

LabelSelector Build(std::vector<Requirement> requirements) {
  std::stable_sort(requirements.begin(), requirements.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return LabelSelector::FromRequirements(std::move(requirements));
}

}  // namespace

bool Requirement::Matches(const Labels& labels) const {
  auto it = labels.find(key);
  const bool has = it != labels.end();
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
      return has && HasValue(*this, it->second);
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return !has || !HasValue(*this, it->second);
    case SelectorOperator::kExists:
      return has;
    case SelectorOperator::kDoesNotExist:
      return !has;
  }
  return false;
}

bool LabelSelector::Matches(const Labels& labels) const {
  if (nothing_) return false;
  for (const Requirement& r : requirements_) {
    if (!r.Matches(labels)) return false;
  }
  return true;
}

std::string LabelSelector::ToString() const {
  if (nothing_) return "<none>";
  std::vector<std::string> parts;
  for (const Requirement& r : requirements_) {
    switch (r.op) {
      case SelectorOperator::kEquals:
        parts.push_back(absl::StrCat(r.key, "=", r.values[0]));
        break;
      case SelectorOperator::kNotEquals:
        parts.push_back(absl::StrCat(r.key, "!=", r.values[0]));
        break;
      case SelectorOperator::kIn:
      case SelectorOperator::kNotIn: {
        std::vector<std::string> sorted = r.values;
        std::sort(sorted.begin(), sorted.end());
        parts.push_back(absl::StrCat(r.key, r.op == SelectorOperator::kIn ? " in (" : " notin (",
                                     absl::StrJoin(sorted, ","), ")"));
        break;
      }
      case SelectorOperator::kExists:
        parts.push_back(r.key);
        break;
      case SelectorOperator::kDoesNotExist:
        parts.push_back(absl::StrCat("!", r.key));
        break;
    }
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<Requirement> NewRequirement(absl::string_view key, SelectorOperator op,
                                           std::vector<std::string> values,
                                           absl::string_view field) {
  if (std::string e = CheckQualifiedName(key); !e.empty()) {
    return Invalid(Join(field, "key"), absl::StrCat("Invalid value: \"", key, "\": ", e));
  }
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) {
        return Invalid(Join(field, "values"),
                       "for 'in', 'notin' operators, values set can't be empty");
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) {
        return Invalid(Join(field, "values"),
                       "exact-match compatibility requires one single value");
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        return Invalid(Join(field, "values"),
                       "values set must be empty for exists and does not exist");
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::string e = CheckLabelValue(values[i]); !e.empty()) {
      return Invalid(absl::StrCat(Join(field, "values"), "[", i, "]"),
                     absl::StrCat("Invalid value: \"", values[i], "\": ", e));
    }
  }
  return Requirement{std::string(key), op, std::move(values)};
}

absl::StatusOr<LabelSelector> ParseLabelSelector(const Value* selector) {
  if (selector == nullptr || selector->IsNull()) return LabelSelector::Nothing();
  if (!selector->IsObject()) return Invalid("", "label selector must be an object");
  std::vector<Requirement> requirements;
  if (const Value* ml = json::Find(*selector, "matchLabels"); ml != nullptr && !ml->IsNull()) {
    if (!ml->IsObject()) return Invalid("matchLabels", "must be an object");
    for (const auto& m : ml->GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      const std::string field = absl::StrCat("matchLabels[", key, "]");
      if (!m.value.IsString()) return Invalid(field, "must be a string");
      ASSIGN_OR_RETURN(
          Requirement r,
          NewRequirement(key, SelectorOperator::kEquals,
                         {std::string(m.value.GetString(), m.value.GetStringLength())}, field));
      requirements.push_back(std::move(r));
    }
  }
  if (const Value* me = json::Find(*selector, "matchExpressions"); me != nullptr && !me->IsNull()) {
    if (!me->IsArray()) return Invalid("matchExpressions", "must be an array");
    for (rapidjson::SizeType i = 0; i < me->Size(); ++i) {
      const Value& e = (*me)[i];
      const std::string field = absl::StrCat("matchExpressions[", i, "]");
      if (!e.IsObject()) return Invalid(field, "must be an object");
      const Value* key = json::Find(e, "key");
      if (key == nullptr || !key->IsString())
        return Invalid(Join(field, "key"), "must be a string");
      const Value* op = json::Find(e, "operator");
      if (op == nullptr || !op->IsString()) {
        return Invalid(Join(field, "operator"), "must be a string");
      }
      const absl::string_view op_text(op->GetString(), op->GetStringLength());
      SelectorOperator sop;
      if (op_text == "In") {
        sop = SelectorOperator::kIn;
      } else if (op_text == "NotIn") {
        sop = SelectorOperator::kNotIn;
      } else if (op_text == "Exists") {
        sop = SelectorOperator::kExists;
      } else if (op_text == "DoesNotExist") {
        sop = SelectorOperator::kDoesNotExist;
      } else {
        return Invalid(Join(field, "operator"),
                       absl::StrCat("\"", op_text, "\" is not a valid label selector operator"));
      }
      std::vector<std::string> values;
      if (const Value* vs = json::Find(e, "values"); vs != nullptr && !vs->IsNull()) {
        if (!vs->IsArray()) return Invalid(Join(field, "values"), "must be an array");
        for (rapidjson::SizeType j = 0; j < vs->Size(); ++j) {
          if (!(*vs)[j].IsString()) {
            return Invalid(absl::StrCat(Join(field, "values"), "[", j, "]"), "must be a string");
          }
          values.emplace_back((*vs)[j].GetString(), (*vs)[j].GetStringLength());
        }
      }
      ASSIGN_OR_RETURN(Requirement r,
                       NewRequirement(absl::string_view(key->GetString(), key->GetStringLength()),
                                      sop, std::move(values), field));
      requirements.push_back(std::move(r));
    }
  }
  return Build(std::move(requirements));
}

absl::StatusOr<LabelSelector> ParseSelectorString(absl::string_view text) {
  StringParser parser(text);
  ASSIGN_OR_RETURN(std::vector<Requirement> requirements, parser.Parse());
  return Build(std::move(requirements));
}

absl::StatusOr<Labels> LabelsFromJson(const Value* labels) {
  Labels out;
  if (labels == nullptr || labels->IsNull()) return out;
  if (!labels->IsObject()) return Invalid("labels", "must be an object");
  for (const auto& m : labels->GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString()) return Invalid(absl::StrCat("labels[", key, "]"), "must be a string");
    out[key] = std::string(m.value.GetString(), m.value.GetStringLength());
  }
  return out;
}

}  // namespace kfed::k8s
