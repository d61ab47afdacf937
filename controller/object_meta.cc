#include "controller/object_meta.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "federated_types/keys.h"

namespace kfed::controller {

std::string Meta(const rapidjson::Value& object, absl::string_view field) {
  const rapidjson::Value* metadata = json::Find(object, "metadata");
  return metadata == nullptr ? "" : json::GetString(*metadata, field);
}

bool HasDeletionTimestamp(const rapidjson::Value& object) {
  const rapidjson::Value* ts = json::FindPath(object, {"metadata", "deletionTimestamp"});
  return ts != nullptr && !ts->IsNull();
}

bool ManagedByKfed(const rapidjson::Value& object) {
  const rapidjson::Value* v =
      json::FindPath(object, {"metadata", "labels", std::string(federated_types::kManagedByLabel)});
  return v != nullptr && v->IsString() && v->GetString() == federated_types::kManagedByKfed;
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

bool SetFinalizer(rapidjson::Document& object, absl::string_view finalizer, bool present) {
  if (HasFinalizer(object, finalizer) == present) return false;
  auto& a = object.GetAllocator();
  rapidjson::Value& metadata = json::EnsureObject(object, "metadata", a);
  rapidjson::Value* finalizers = json::FindMutable(metadata, "finalizers");
  if (finalizers == nullptr || !finalizers->IsArray()) {
    json::Set(metadata, "finalizers", rapidjson::Value(rapidjson::kArrayType), a);
    finalizers = json::FindMutable(metadata, "finalizers");
  }
  if (present) {
    finalizers->PushBack(rapidjson::Value(finalizer.data(), finalizer.size(), a), a);
    return true;
  }
  rapidjson::Value kept(rapidjson::kArrayType);
  for (rapidjson::Value& f : finalizers->GetArray()) {
    if (f.IsString() && absl::string_view(f.GetString(), f.GetStringLength()) == finalizer) continue;
    kept.PushBack(rapidjson::Value(f, a), a);
  }
  *finalizers = std::move(kept);
  return true;
}

std::string ObjectKey(absl::string_view ns, absl::string_view name) {
  return ns.empty() ? std::string(name) : absl::StrCat(ns, "/", name);
}

std::pair<std::string, std::string> SplitObjectKey(absl::string_view key) {
  size_t slash = key.find('/');
  if (slash == absl::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

}  // namespace kfed::controller
