#include "kube/resource.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace kfed::kube {

std::string GroupVersionKind::String() const {
  return absl::StrCat(ApiVersion(), ", Kind=", kind);
}

std::string GroupVersionResource::BasePath() const {
  return group.empty() ? absl::StrCat("/api/", version)
                       : absl::StrCat("/apis/", group, "/", version);
}

std::string GroupVersionResource::CollectionPath(absl::string_view ns) const {
  if (namespaced && !ns.empty()) {
    return absl::StrCat(BasePath(), "/namespaces/", ns, "/", resource);
  }
  return absl::StrCat(BasePath(), "/", resource);
}

std::string GroupVersionResource::ObjectPath(absl::string_view ns, absl::string_view name,
                                             absl::string_view subresource) const {
  std::string path = absl::StrCat(CollectionPath(ns), "/", name);
  if (!subresource.empty()) absl::StrAppend(&path, "/", subresource);
  return path;
}

std::string GroupVersionResource::String() const {
  return absl::StrCat(resource, ".", version, ".", group);
}

GroupVersionResource ConfigMapsResource() { return {"", "v1", "configmaps", true, "ConfigMap"}; }
GroupVersionResource SecretsResource() { return {"", "v1", "secrets", true, "Secret"}; }
GroupVersionResource NamespacesResource() { return {"", "v1", "namespaces", false, "Namespace"}; }
GroupVersionResource LeasesResource() {
  return {"coordination.k8s.io", "v1", "leases", true, "Lease"};
}
GroupVersionResource CustomResourceDefinitionsResource() {
  return {"apiextensions.k8s.io", "v1", "customresourcedefinitions", false,
          "CustomResourceDefinition"};
}

struct ObjectBuilder::Holder {
  explicit Holder(size_t chunk) : pool(chunk), doc(&pool) {}
  rapidjson::MemoryPoolAllocator<> pool;
  rapidjson::Document doc;
};

ObjectBuilder::ObjectBuilder(size_t chunk_bytes)
    : holder_(std::make_shared<Holder>(chunk_bytes)) {}

rapidjson::Document& ObjectBuilder::doc() { return holder_->doc; }

ObjectPtr ObjectBuilder::Finish() && {
  Holder* h = holder_.get();
  return ObjectPtr(std::move(holder_), &h->doc);
}

size_t ObjectBytes(const ObjectPtr& object) {
  if (object == nullptr) return 0;
  return const_cast<rapidjson::Document&>(*object).GetAllocator().Capacity() + sizeof(rapidjson::MemoryPoolAllocator<>) +
         sizeof(rapidjson::Document) + 32 /* shared_ptr control block */;
}

absl::StatusOr<ObjectPtr> ParseObject(absl::string_view json) {
  // One chunk that fits: RapidJSON needs about twice the text (measured: a ConfigMap copy of
  // 276 bytes takes 923 heap bytes this way, 1,307 with a 1.5x pool of at least 1 KiB, which
  // overflowed into a second chunk; docs/benchmarks.md "memory").
  ObjectBuilder b(std::max<size_t>(256, json.size() * 2 + 64));
  if (absl::Status parsed = json::ParseInto(json, b.doc()); !parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON ", parsed.message()));
  }
  return std::move(b).Finish();
}

bool HasManagedFields(const rapidjson::Value& object) {
  if (!object.IsObject()) return false;
  const rapidjson::Value* meta = json::Find(object, "metadata");
  return meta != nullptr && meta->IsObject() && meta->HasMember("managedFields");
}

std::string CompactJson(const rapidjson::Value& object, bool drop_managed_fields) {
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> w(text);
  if (!drop_managed_fields || !HasManagedFields(object)) {
    object.Accept(w);
    return std::string(text.GetString(), text.GetSize());
  }
  const rapidjson::Value* meta = json::Find(object, "metadata");
  w.StartObject();
  for (const auto& m : object.GetObject()) {
    w.Key(m.name.GetString(), m.name.GetStringLength());
    if (&m.value != meta) {
      m.value.Accept(w);
      continue;
    }
    w.StartObject();
    for (const auto& mm : meta->GetObject()) {
      if (absl::string_view(mm.name.GetString(), mm.name.GetStringLength()) == "managedFields") {
        continue;
      }
      w.Key(mm.name.GetString(), mm.name.GetStringLength());
      mm.value.Accept(w);
    }
    w.EndObject();
  }
  w.EndObject();
  return std::string(text.GetString(), text.GetSize());
}

ObjectPtr WithoutManagedFields(const ObjectPtr& object) {
  if (object == nullptr || !HasManagedFields(*object)) return object;
  // Write the object without the field, then parse it into a pool sized for the text
  // (RapidJSON 1.1 cannot size member arrays when building, and a copy that removes the
  // member afterwards would keep its bytes in the pool).
  absl::StatusOr<ObjectPtr> stripped = ParseObject(CompactJson(*object, /*drop_managed_fields=*/true));
  return stripped.ok() ? *std::move(stripped) : object;
}

ObjectPtr CopyObject(const rapidjson::Value& value) {
  ObjectBuilder b(2048);
  b.doc().CopyFrom(value, b.alloc());
  return std::move(b).Finish();
}

namespace {
const rapidjson::Value* Meta(const rapidjson::Value& o) { return json::Find(o, "metadata"); }
}  // namespace

std::string Name(const rapidjson::Value& o) {
  const rapidjson::Value* m = Meta(o);
  return m ? json::GetString(*m, "name") : "";
}
std::string Namespace(const rapidjson::Value& o) {
  const rapidjson::Value* m = Meta(o);
  return m ? json::GetString(*m, "namespace") : "";
}
std::string ResourceVersion(const rapidjson::Value& o) {
  const rapidjson::Value* m = Meta(o);
  return m ? json::GetString(*m, "resourceVersion") : "";
}
std::string Uid(const rapidjson::Value& o) {
  const rapidjson::Value* m = Meta(o);
  return m ? json::GetString(*m, "uid") : "";
}
std::string ObjectKeyOf(const rapidjson::Value& o) {
  std::string ns = Namespace(o);
  return ns.empty() ? Name(o) : absl::StrCat(ns, "/", Name(o));
}
const rapidjson::Value* Label(const rapidjson::Value& o, absl::string_view key) {
  const rapidjson::Value* labels = json::FindPath(o, {"metadata", "labels"});
  return labels ? json::Find(*labels, key) : nullptr;
}

}  // namespace kfed::kube
