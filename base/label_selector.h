// Kubernetes label selectors: metav1.LabelSelector (matchLabels + matchExpressions) and the
// string form used by `--selector` flags ("a=b,c!=d,e in (x,y),f notin (z),g,!h").
//
// Semantics are k8s.io/apimachinery's: a null selector selects nothing, an empty one ({}, or
// "") selects everything; In/= need the label present with one of the values; NotIn/!= also
// match when the label is absent; Exists/DoesNotExist test presence. Keys must be qualified
// names and values valid label values; In/NotIn need at least one value, Exists/DoesNotExist
// must have none.
#ifndef KFED_BASE_LABEL_SELECTOR_H_
#define KFED_BASE_LABEL_SELECTOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::k8s {

using Labels = std::map<std::string, std::string>;

enum class SelectorOperator { kIn, kNotIn, kExists, kDoesNotExist, kEquals, kNotEquals };

struct Requirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kExists;
  std::vector<std::string> values;

  bool Matches(const Labels& labels) const;
};

class LabelSelector {
 public:
  // Selects every label set.
  static LabelSelector Everything() { return LabelSelector(false, {}); }
  // Selects nothing (a null metav1.LabelSelector).
  static LabelSelector Nothing() { return LabelSelector(true, {}); }
  // Requirements must already be valid (see NewRequirement).
  static LabelSelector FromRequirements(std::vector<Requirement> requirements) {
    return LabelSelector(false, std::move(requirements));
  }

  bool Matches(const Labels& labels) const;
  bool SelectsNothing() const { return nothing_; }
  bool SelectsEverything() const { return !nothing_ && requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

  // The string form ("a=b,c in (x,y)"); "<none>" for Nothing, "" for Everything.
  std::string ToString() const;

 private:
  LabelSelector(bool nothing, std::vector<Requirement> requirements)
      : nothing_(nothing), requirements_(std::move(requirements)) {}

  bool nothing_;
  std::vector<Requirement> requirements_;  // sorted by key
};

// Validates and builds a requirement; `field` prefixes error messages.
absl::StatusOr<Requirement> NewRequirement(absl::string_view key, SelectorOperator op,
                                           std::vector<std::string> values,
                                           absl::string_view field = "");

// metav1.LabelSelectorAsSelector. `selector` nullptr or JSON null selects nothing.
// InvalidArgument naming the field ("matchExpressions[1].operator: ...").
absl::StatusOr<LabelSelector> ParseLabelSelector(const rapidjson::Value* selector);

// labels.Parse for the string form; "" selects everything.
absl::StatusOr<LabelSelector> ParseSelectorString(absl::string_view text);

// A label map from JSON ({"k": "v"}); nullptr or null is empty. Values must be strings.
absl::StatusOr<Labels> LabelsFromJson(const rapidjson::Value* labels);

}  // namespace kfed::k8s

#endif  // KFED_BASE_LABEL_SELECTOR_H_
