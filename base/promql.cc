#include "base/promql.h"

#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kfed::promql {
namespace {

enum class Kind { kIdentifier, kNumber, kString, kVariable, kPunct };

struct Token {
  Kind kind;
  std::string text;  // a string's value without quotes; one character for kPunct
  size_t pos;        // offset in the expression, for errors
};

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_' || c == ':'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == ':'; }

absl::Status Error(absl::string_view expr, size_t pos, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("PromQL: ", what, " at offset ", pos, " in: ", expr));
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view expr) {
  std::vector<Token> tokens;
  size_t i = 0;
  const size_t n = expr.size();
  while (i < n) {
    const char c = expr[i];
    const size_t start = i;
    if (absl::ascii_isspace(c)) {
      ++i;
    } else if (c == '#') {  // a comment, to the end of the line
      while (i < n && expr[i] != '\n') ++i;
    } else if (c == '"' || c == '\'' || c == '`') {
      std::string value;
      ++i;
      while (i < n && expr[i] != c) {
        if (expr[i] == '\\' && c != '`' && i + 1 < n) ++i;
        value += expr[i++];
      }
      if (i == n) return Error(expr, start, "unterminated string");
      ++i;
      tokens.push_back({Kind::kString, std::move(value), start});
    } else if (c == '$') {  // Grafana: $var, ${var}, ${var:format}
      ++i;
      if (i < n && expr[i] == '{') {
        while (i < n && expr[i] != '}') ++i;
        if (i == n) return Error(expr, start, "unterminated ${");
        ++i;
      } else {
        while (i < n && IsIdentChar(expr[i])) ++i;
      }
      tokens.push_back({Kind::kVariable, std::string(expr.substr(start, i - start)), start});
    } else if (c == '[' && i + 1 < n && expr[i + 1] == '[') {  // Grafana: [[var]]
      const size_t end = expr.find("]]", i + 2);
      if (end == absl::string_view::npos) return Error(expr, start, "unterminated [[");
      i = end + 2;
      tokens.push_back({Kind::kVariable, std::string(expr.substr(start, i - start)), start});
    } else if (IsIdentStart(c)) {
      while (i < n && IsIdentChar(expr[i])) ++i;
      tokens.push_back({Kind::kIdentifier, std::string(expr.substr(start, i - start)), start});
    } else if (absl::ascii_isdigit(c) || (c == '.' && i + 1 < n && absl::ascii_isdigit(expr[i + 1]))) {
      // 0.99, 1e-3, 0x1f, and durations (5m, 1h30m).
      while (i < n && (absl::ascii_isalnum(expr[i]) || expr[i] == '.' || expr[i] == '_')) {
        const char d = expr[i++];
        if ((d == 'e' || d == 'E') && i < n && (expr[i] == '+' || expr[i] == '-')) ++i;
      }
      tokens.push_back({Kind::kNumber, std::string(expr.substr(start, i - start)), start});
    } else {
      tokens.push_back({Kind::kPunct, std::string(1, c), start});
      ++i;
    }
  }
  return tokens;
}

bool IsPunct(const Token& t, char c) { return t.kind == Kind::kPunct && t.text[0] == c; }

// For each opening bracket token, the index of its closing one.
absl::StatusOr<std::vector<size_t>> MatchBrackets(absl::string_view expr,
                                                  const std::vector<Token>& tokens) {
  std::vector<size_t> match(tokens.size(), 0);
  std::vector<size_t> open;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != Kind::kPunct) continue;
    const char c = tokens[i].text[0];
    if (c == '(' || c == '{' || c == '[') {
      open.push_back(i);
    } else if (c == ')' || c == '}' || c == ']') {
      const char want = c == ')' ? '(' : c == '}' ? '{' : '[';
      if (open.empty() || !IsPunct(tokens[open.back()], want)) {
        return Error(expr, tokens[i].pos, absl::StrCat("unbalanced '", tokens[i].text, "'"));
      }
      match[open.back()] = i;
      open.pop_back();
    }
  }
  if (!open.empty()) {
    return Error(expr, tokens[open.back()].pos,
                 absl::StrCat("unclosed '", tokens[open.back()].text, "'"));
  }
  return match;
}

const absl::flat_hash_set<std::string>& Aggregations() {
  static const auto* const kSet = new absl::flat_hash_set<std::string>{
      "sum",      "min",          "max",      "avg",    "group",  "stddev", "stdvar",
      "count",    "count_values", "bottomk",  "topk",   "quantile", "limitk", "limit_ratio"};
  return *kSet;
}

// Keywords followed by a list of label names in parentheses.
const absl::flat_hash_set<std::string>& LabelListKeywords() {
  static const auto* const kSet = new absl::flat_hash_set<std::string>{
      "by", "without", "on", "ignoring", "group_left", "group_right"};
  return *kSet;
}

const absl::flat_hash_set<std::string>& OtherKeywords() {
  static const auto* const kSet = new absl::flat_hash_set<std::string>{
      "bool", "and", "or", "unless", "atan2", "offset", "inf", "nan"};
  return *kSet;
}

class Extractor {
 public:
  Extractor(const std::vector<Token>& tokens, const std::vector<size_t>& match,
            std::set<std::string>* out)
      : tokens_(tokens), match_(match), out_(out) {}

  // Metric names among tokens [begin, end).
  void Extract(size_t begin, size_t end) {
    size_t i = begin;
    while (i < end) {
      const Token& t = tokens_[i];
      const Token* next = i + 1 < end ? &tokens_[i + 1] : nullptr;
      if (IsPunct(t, '{')) {
        NameMatchers(i + 1, match_[i]);
        i = match_[i] + 1;
      } else if (IsPunct(t, '[')) {  // range or subquery: durations only
        i = match_[i] + 1;
      } else if (t.kind != Kind::kIdentifier) {
        ++i;
      } else {
        const std::string word = absl::AsciiStrToLower(t.text);
        const bool call = next != nullptr && IsPunct(*next, '(');
        if (LabelListKeywords().contains(word)) {
          i = call ? match_[i + 1] + 1 : i + 1;
        } else if (word == "label_values" && call) {
          LabelValuesCall(i + 1);
          i = match_[i + 1] + 1;
        } else if (call || OtherKeywords().contains(word) ||
                   (Aggregations().contains(word) && next != nullptr &&
                    next->kind == Kind::kIdentifier &&
                    LabelListKeywords().contains(absl::AsciiStrToLower(next->text)))) {
          ++i;  // a function, an operator, or `sum by (...) (...)`
        } else {
          out_->insert(t.text);
          ++i;
        }
      }
    }
  }

 private:
  // Inside `{...}`: label names, except `__name__="metric"`.
  void NameMatchers(size_t begin, size_t end) {
    for (size_t i = begin; i + 2 < end; ++i) {
      if (tokens_[i].kind == Kind::kIdentifier && tokens_[i].text == "__name__" &&
          IsPunct(tokens_[i + 1], '=') && tokens_[i + 2].kind == Kind::kString) {
        out_->insert(tokens_[i + 2].text);
      }
    }
  }

  // Grafana's label_values(metric, label) reads `metric`; label_values(label) reads nothing.
  void LabelValuesCall(size_t open) {
    const size_t close = match_[open];
    for (size_t i = open + 1; i < close; ++i) {
      const Token& t = tokens_[i];
      if (IsPunct(t, '(') || IsPunct(t, '{') || IsPunct(t, '[')) {
        i = match_[i];
      } else if (IsPunct(t, ',')) {
        Extract(open + 1, i);
        return;
      }
    }
  }

  const std::vector<Token>& tokens_;
  const std::vector<size_t>& match_;
  std::set<std::string>* out_;
};

}  // namespace

absl::StatusOr<std::set<std::string>> MetricNames(absl::string_view expr) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(expr);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<std::vector<size_t>> match = MatchBrackets(expr, *tokens);
  if (!match.ok()) return match.status();
  std::set<std::string> names;
  Extractor(*tokens, *match, &names).Extract(0, tokens->size());
  return names;
}

}  // namespace kfed::promql
