// Label and field selectors (the string forms of ?labelSelector= and ?fieldSelector=)
// matched against objects locally, by the fake client.
#ifndef KFED_KUBE_LABELS_H_
#define KFED_KUBE_LABELS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/label_selector.h"
#include "rapidjson/document.h"

namespace kfed::kube {

// Whether `object`'s metadata.labels satisfy `selector` (parsed with
// k8s::ParseSelectorString, base/label_selector.h: the one label-selector parser). Labels
// whose value is not a string count as absent.
bool SelectorMatchesObject(const k8s::LabelSelector& selector, const rapidjson::Value& object);

// A field selector as supported by the fake client: metadata.name and metadata.namespace
// with = / == / !=.
class FieldSelector {
 public:
  static absl::StatusOr<FieldSelector> Parse(absl::string_view text);
  bool Matches(const rapidjson::Value& object) const;

 private:
  struct Requirement {
    std::string field;
    bool equals;
    std::string value;
  };
  std::vector<Requirement> requirements_;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_LABELS_H_
