#include "controller/propagated_version_store.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/kubefed_resources.h"
#include "controller/object_meta.h"
#include "federated_types/versions.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

PropagatedVersionStore::PropagatedVersionStore(kube::Client& host, const kube::Informer& cache,
                                               const ft::TypeConfig& type,
                                               std::string field_manager)
    : host_(host),
      cache_(cache),
      type_(type),
      field_manager_(std::move(field_manager)),
      own_writes_([this](const std::string& key) { return cache_.Get(Namespace(key), Name(key)); }) {}

std::string PropagatedVersionStore::Namespace(const std::string& key) const {
  auto [fed_ns, fed_name] = SplitObjectKey(key);
  return ft::PropagatedVersionNamespace(type_.target_type.kind, fed_ns, fed_name);
}

std::string PropagatedVersionStore::Name(const std::string& key) const {
  return ft::PropagatedVersionName(type_.target_type.kind, SplitObjectKey(key).second);
}

std::map<std::string, std::string> PropagatedVersionStore::Recorded(
    const std::string& fed_ns, const std::string& fed_name, const std::string& template_version,
    const std::string& overrides_version) const {
  const std::string key = ObjectKey(fed_ns, fed_name);
  kube::ObjectPtr pv = cache_.Get(Namespace(key), Name(key));
  if (pv == nullptr) return {};
  absl::StatusOr<ft::PropagatedVersionStatus> status = ft::ParsePropagatedVersionStatus(*pv);
  if (!status.ok()) return {};
  return ft::RecordedVersions(*status, template_version, overrides_version);
}

absl::Status PropagatedVersionStore::Update(
    const rapidjson::Value& federated_object, const std::string& key,
    const std::string& template_version, const std::string& overrides_version,
    const std::set<std::string>& selected,
    const std::map<std::string, std::string>& versions, kube::RequestPriority priority) const {
  const std::string pv_ns = Namespace(key);
  const std::string pv_name = Name(key);
  // The newer of the cache and kfed's own last write: right after a write the cache is
  // behind, and a write based on it would repeat the last one with a stale resourceVersion.
  kube::ObjectPtr old_pv = own_writes_.Latest(key, cache_.Get(pv_ns, pv_name));
  std::optional<ft::PropagatedVersionStatus> old_status;
  if (old_pv != nullptr) {
    absl::StatusOr<ft::PropagatedVersionStatus> parsed = ft::ParsePropagatedVersionStatus(*old_pv);
    if (parsed.ok()) old_status = *parsed;
  }
  ft::PropagatedVersionStatus status = ft::UpdatePropagatedVersionStatus(
      old_status ? &*old_status : nullptr, template_version, overrides_version,
      std::vector<std::string>(selected.begin(), selected.end()), versions);
  if (old_status && *old_status == status) return absl::OkStatus();

  const ft::TypeConfig& type = type_;
  rapidjson::Document pv = ft::BuildPropagatedVersion(federated_object, type.target_type.kind,
                                                      type.FederatedNamespaced(), status);
  const kube::GroupVersionResource gvr = VersionResourceOf(type);
  absl::StatusOr<kube::ObjectPtr> base;
  if (old_pv == nullptr) {
    base = host_.Create(gvr, pv_ns, pv, {field_manager_, false, priority});
    // The cache is behind: write the status onto the object that is there.
    if (!base.ok() && kube::IsAlreadyExists(base.status())) base = host_.Get(gvr, pv_ns, pv_name);
    // The status subresource ignores a create's status (KubeFed's CRD has one): it is written
    // next, on the resourceVersion the create returned.
    if (base.ok()) own_writes_.Record(key, *base);
  } else {
    base = old_pv;
  }
  if (!base.ok()) {
    if (kube::IsInvalid(base.status())) {
      VLOG(1) << "propagated version " << pv_name << " not recorded: " << base.status();
      return absl::OkStatus();
    }
    return absl::Status(base.status().code(), absl::StrCat("creating propagated version ", pv_name,
                                                           ": ", base.status().message()));
  }
  rapidjson::Document with_status = json::Clone(**base);
  json::Set(with_status, "status", pv["status"], with_status.GetAllocator());
  absl::StatusOr<kube::ObjectPtr> written =
      host_.UpdateStatus(gvr, pv_ns, with_status, {field_manager_, false, priority});
  if (written.ok()) {
    own_writes_.Record(key, *written);
    return absl::OkStatus();
  }
  // Gone, or someone else wrote it: the cache decides from here on.
  own_writes_.Forget(key);
  if (!kube::IsNotFound(written.status())) {
    return absl::Status(written.status().code(),
                        absl::StrCat("updating the status of propagated version ", pv_name, ": ",
                                     written.status().message()));
  }
  return absl::OkStatus();
}

absl::Status PropagatedVersionStore::Delete(const std::string& key) const {
  own_writes_.Forget(key);
  absl::Status deleted = host_.Delete(VersionResourceOf(type_), Namespace(key), Name(key), {});
  if (deleted.ok() || kube::IsNotFound(deleted)) return absl::OkStatus();
  return absl::Status(deleted.code(), absl::StrCat("deleting propagated version ", Name(key), ": ",
                                                   deleted.message()));
}

}  // namespace kfed::controller
