// Small readers of Kubernetes object metadata shared by the controllers. Tolerant of any
// JSON: a missing or mistyped field reads as empty/false.
#ifndef KFED_CONTROLLER_OBJECT_META_H_
#define KFED_CONTROLLER_OBJECT_META_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// metadata.<field> as a string ("" when absent or not a string).
std::string Meta(const rapidjson::Value& object, absl::string_view field);
bool HasDeletionTimestamp(const rapidjson::Value& object);
// Whether the object carries kfed's label app.kubernetes.io/managed-by=kfed (the objects the
// ClusterSet and Multi-Cluster Services controllers made and so may update or delete).
bool ManagedByKfed(const rapidjson::Value& object);
bool HasFinalizer(const rapidjson::Value& object, absl::string_view finalizer);
// Adds `finalizer` to metadata.finalizers (appended, once; a missing or mistyped list becomes
// an array) or removes every occurrence of it, keeping the others in order. Returns whether
// the object changed.
bool SetFinalizer(rapidjson::Document& object, absl::string_view finalizer, bool present);

// A work-queue key: "ns/name" (or "name" when cluster-scoped) and back.
std::string ObjectKey(absl::string_view ns, absl::string_view name);
std::pair<std::string, std::string> SplitObjectKey(absl::string_view key);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_OBJECT_META_H_
