#include "kube/labels.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "kube/resource.h"

namespace kfed::kube {
namespace {

// Splits on commas that are not inside parentheses.
std::vector<std::string> SplitTop(absl::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  for (const std::string& raw : SplitTop(text)) {
    absl::string_view part = absl::StripAsciiWhitespace(raw);
    auto bad = [&] {
      return absl::InvalidArgumentError(absl::StrCat("label selector \"", text, "\": cannot parse \"", part, "\""));
    };
    if (part.empty()) return bad();
    Requirement r;
    size_t pos;
    if ((pos = part.find("!=")) != absl::string_view::npos) {
      r.op = Op::kNotEquals;
      r.key = std::string(absl::StripAsciiWhitespace(part.substr(0, pos)));
      r.values.emplace_back(absl::StripAsciiWhitespace(part.substr(pos + 2)));
    } else if ((pos = part.find("==")) != absl::string_view::npos) {
      r.op = Op::kEquals;
      r.key = std::string(absl::StripAsciiWhitespace(part.substr(0, pos)));
      r.values.emplace_back(absl::StripAsciiWhitespace(part.substr(pos + 2)));
    } else if ((pos = part.find('=')) != absl::string_view::npos) {
      r.op = Op::kEquals;
      r.key = std::string(absl::StripAsciiWhitespace(part.substr(0, pos)));
      r.values.emplace_back(absl::StripAsciiWhitespace(part.substr(pos + 1)));
    } else if ((pos = part.find('(')) != absl::string_view::npos) {
      if (!absl::EndsWith(part, ")")) return bad();
      std::vector<absl::string_view> words =
          absl::StrSplit(part.substr(0, pos), ' ', absl::SkipWhitespace());
      if (words.size() != 2) return bad();
      r.key = std::string(words[0]);
      if (words[1] == "in") {
        r.op = Op::kIn;
      } else if (words[1] == "notin") {
        r.op = Op::kNotIn;
      } else {
        return bad();
      }
      for (absl::string_view v : absl::StrSplit(part.substr(pos + 1, part.size() - pos - 2), ',')) {
        r.values.emplace_back(absl::StripAsciiWhitespace(v));
      }
    } else if (absl::ConsumePrefix(&part, "!")) {
      r.op = Op::kNotExists;
      r.key = std::string(absl::StripAsciiWhitespace(part));
    } else {
      r.op = Op::kExists;
      r.key = std::string(part);
    }
    if (r.key.empty() || r.key.find(' ') != std::string::npos) return bad();
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

bool LabelSelector::Matches(const rapidjson::Value& object) const {
  for (const Requirement& r : requirements_) {
    const rapidjson::Value* v = Label(object, r.key);
    bool has = v != nullptr && v->IsString();
    std::string value = has ? std::string(v->GetString(), v->GetStringLength()) : "";
    bool in = has && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kNotExists:
        if (has) return false;
        break;
    }
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view text) {
  FieldSelector sel;
  if (absl::StripAsciiWhitespace(text).empty()) return sel;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    Requirement r;
    size_t pos;
    if ((pos = part.find("!=")) != absl::string_view::npos) {
      r.equals = false;
      r.field = std::string(part.substr(0, pos));
      r.value = std::string(part.substr(pos + 2));
    } else if ((pos = part.find("==")) != absl::string_view::npos) {
      r.equals = true;
      r.field = std::string(part.substr(0, pos));
      r.value = std::string(part.substr(pos + 2));
    } else if ((pos = part.find('=')) != absl::string_view::npos) {
      r.equals = true;
      r.field = std::string(part.substr(0, pos));
      r.value = std::string(part.substr(pos + 1));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("field selector \"", text, "\": cannot parse \"", part, "\""));
    }
    if (r.field != "metadata.name" && r.field != "metadata.namespace") {
      return absl::InvalidArgumentError(absl::StrCat("field selector \"", text, "\": field \"", r.field, "\" is not supported"));
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

bool FieldSelector::Matches(const rapidjson::Value& object) const {
  for (const Requirement& r : requirements_) {
    std::string v = r.field == "metadata.name" ? Name(object) : Namespace(object);
    if ((v == r.value) != r.equals) return false;
  }
  return true;
}

}  // namespace kfed::kube
