// How kfed names Kubernetes resources and holds objects.
//
// Objects are immutable shared snapshots: `ObjectPtr` (std::shared_ptr<const
// rapidjson::Document>). Each snapshot owns a small memory pool sized for one object, so an
// informer holding many objects pays roughly the object's own size, not RapidJSON's 64 KiB
// default chunk.
#ifndef KFED_KUBE_RESOURCE_H_
#define KFED_KUBE_RESOURCE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::kube {

using ObjectPtr = std::shared_ptr<const rapidjson::Document>;

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string String() const;  // "apps/v1, Kind=Deployment"
  bool operator==(const GroupVersionKind& o) const {
    return group == o.group && version == o.version && kind == o.kind;
  }
  template <typename H>
  friend H AbslHashValue(H h, const GroupVersionKind& g) {
    return H::combine(std::move(h), g.group, g.version, g.kind);
  }
};

struct GroupVersionResource {
  std::string group;  // "" for the core group
  std::string version;
  std::string resource;  // plural, lower case: "configmaps"
  bool namespaced = true;
  std::string kind;  // optional; filled by discovery and used in error messages / fakes

  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1" or "/apis/<group>/<version>".
  std::string BasePath() const;
  // The collection path: "/api/v1/namespaces/<ns>/configmaps", or cluster-wide when ns is
  // empty (or the resource is cluster-scoped).
  std::string CollectionPath(absl::string_view ns) const;
  // The object path; `subresource` ("status") appended when given.
  std::string ObjectPath(absl::string_view ns, absl::string_view name,
                         absl::string_view subresource = "") const;
  std::string String() const;  // "configmaps.v1." / "deployments.v1.apps"
  bool operator==(const GroupVersionResource& o) const {
    return group == o.group && version == o.version && resource == o.resource;
  }
  template <typename H>
  friend H AbslHashValue(H h, const GroupVersionResource& g) {
    return H::combine(std::move(h), g.group, g.version, g.resource);
  }
};

// Well-known resources used across kfed.
GroupVersionResource ConfigMapsResource();
GroupVersionResource SecretsResource();
GroupVersionResource NamespacesResource();
GroupVersionResource LeasesResource();
GroupVersionResource CustomResourceDefinitionsResource();

// Parses JSON into a new snapshot; errors say where the JSON is malformed.
absl::StatusOr<ObjectPtr> ParseObject(absl::string_view json);
// Deep-copies `value` into a new snapshot.
ObjectPtr CopyObject(const rapidjson::Value& value);

// A mutable document with a right-sized pool, convertible into a snapshot without copying.
class ObjectBuilder {
 public:
  explicit ObjectBuilder(size_t chunk_bytes = 1024);
  rapidjson::Document& doc();
  rapidjson::Document::AllocatorType& alloc() { return doc().GetAllocator(); }
  ObjectPtr Finish() &&;

 private:
  struct Holder;
  std::shared_ptr<Holder> holder_;
};

// True when `object` has metadata.managedFields.
bool HasManagedFields(const rapidjson::Value& object);
// `object` as compact JSON text; without metadata.managedFields when `drop_managed_fields`.
std::string CompactJson(const rapidjson::Value& object, bool drop_managed_fields = false);

// `object` without metadata.managedFields, in a new snapshot sized for what is left;
// `object` itself when it has none (or is null).
ObjectPtr WithoutManagedFields(const ObjectPtr& object);

// Bytes of memory a snapshot holds (its pool's capacity plus fixed overhead).
size_t ObjectBytes(const ObjectPtr& object);

// Metadata accessors; "" when missing.
std::string Name(const rapidjson::Value& object);
std::string Namespace(const rapidjson::Value& object);
std::string ResourceVersion(const rapidjson::Value& object);
std::string Uid(const rapidjson::Value& object);
// "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKey).
std::string ObjectKeyOf(const rapidjson::Value& object);
// The label value, or nullptr when the label is absent.
const rapidjson::Value* Label(const rapidjson::Value& object, absl::string_view key);

}  // namespace kfed::kube

#endif  // KFED_KUBE_RESOURCE_H_
