#include "controller/object_meta.h"

#include "base/json.h"

namespace kfed::controller {

std::string Meta(const rapidjson::Value& object, absl::string_view field) {
  const rapidjson::Value* metadata = json::Find(object, "metadata");
  return metadata == nullptr ? "" : json::GetString(*metadata, field);
}

bool HasDeletionTimestamp(const rapidjson::Value& object) {
  const rapidjson::Value* ts = json::FindPath(object, {"metadata", "deletionTimestamp"});
  return ts != nullptr && !ts->IsNull();
}

bool HasFinalizer(const rapidjson::Value& object, absl::string_view finalizer) {
  const rapidjson::Value* finalizers = json::FindPath(object, {"metadata", "finalizers"});
  if (finalizers == nullptr || !finalizers->IsArray()) return false;
  for (const rapidjson::Value& f : finalizers->GetArray()) {
    if (f.IsString() && absl::string_view(f.GetString(), f.GetStringLength()) == finalizer)
      return true;
  }
  return false;
}

}  // namespace kfed::controller
