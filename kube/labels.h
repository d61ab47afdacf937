// Kubernetes label selectors (the string form used in ?labelSelector=), parsed and matched
// locally: by the fake client and by informers' label index.
#ifndef KFED_KUBE_LABELS_H_
#define KFED_KUBE_LABELS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::kube {

class LabelSelector {
 public:
  // Accepts "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a", comma-joined.
  // The empty string selects everything.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);

  // Whether the object's metadata.labels satisfy every requirement.
  bool Matches(const rapidjson::Value& object) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

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
