#include "kube/labels.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "kube/resource.h"

namespace kfed::kube {

bool SelectorMatchesObject(const k8s::LabelSelector& selector, const rapidjson::Value& object) {
  if (selector.SelectsEverything()) return true;
  k8s::Labels labels;
  const rapidjson::Value* meta = json::Find(object, "metadata");
  const rapidjson::Value* map = meta != nullptr ? json::Find(*meta, "labels") : nullptr;
  if (map != nullptr && map->IsObject()) {
    for (const auto& m : map->GetObject()) {
      if (!m.value.IsString()) continue;
      labels.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                     std::string(m.value.GetString(), m.value.GetStringLength()));
    }
  }
  return selector.Matches(labels);
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
