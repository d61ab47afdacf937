#include "controller/status_publisher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "federated_types/render.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

StatusPublisher::StatusPublisher(const SyncControllerOptions& options,
                                 const kube::Informer& federated, const PlanInputBuilder& inputs)
    : options_(options), store_(options.status_store), federated_(federated), inputs_(inputs) {}

void StatusPublisher::Open() {
  if (store_ == nullptr) return;
  const ft::TypeConfig& type = options_.type_config;
  status::TypeInfo info;
  info.federated_group = type.federated_type.group;
  info.federated_resource = type.federated_type.plural_name;
  info.namespaced = type.FederatedNamespaced();
  info.sensitivity = type.sensitive          ? status::Sensitivity::kAll
                     : type.TargetIsSecret() ? status::Sensitivity::kSecretData
                                             : status::Sensitivity::kNone;
  store_->SetRenderer(type.name, std::move(info),
                      [this](const std::string& ns, const std::string& name,
                             const std::string& cluster) { return Render(ns, name, cluster); });
}

void StatusPublisher::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
  }
  if (store_ != nullptr) store_->RemoveRenderer(options_.type_config.name);
}

void StatusPublisher::RemoveType() {
  if (store_ != nullptr) store_->RemoveType(options_.type_config.name);
}

void StatusPublisher::Publish(const kube::ObjectPtr& fed, const std::string& key,
                              const rapidjson::Value* status,
                              const std::vector<PublishedCluster>& clusters) {
  if (store_ == nullptr) return;
  status::v1::FederatedObject object;
  auto [ns, name] = SplitObjectKey(key);
  status::v1::ObjectRef* ref = object.mutable_ref();
  ref->set_type(options_.type_config.name);
  ref->set_kind(options_.type_config.federated_type.kind);
  ref->set_namespace_(ns);
  ref->set_name(name);
  object.set_generation(GenerationOf(fed.get()));
  SetPropagation(status, &object);
  for (const PublishedCluster& c : clusters) *object.add_clusters() = ClusterStateFor(c);
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
  }
  store_->UpsertObject(std::move(object));
}

void StatusPublisher::Unpublish(const std::string& key) {
  if (store_ == nullptr) return;
  auto [ns, name] = SplitObjectKey(key);
  status::v1::ObjectRef ref;
  ref.set_type(options_.type_config.name);
  ref.set_namespace_(ns);
  ref.set_name(name);
  store_->RemoveObject(ref);
}

absl::StatusOr<status::RenderResult> StatusPublisher::Render(const std::string& ns,
                                                             const std::string& name,
                                                             const std::string& cluster) const {
  const ft::TypeConfig& type = options_.type_config;
  const std::string key = ObjectKey(ns, name);
  kube::ObjectPtr fed = federated_.Get(type.FederatedNamespaced() ? ns : "", name);
  if (fed == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no ", DescribeObject(type, key), " in the host cache"));
  }
  status::RenderResult result;
  result.overrides_json = "[]";
  if (const rapidjson::Value* overrides = json::FindPath(*fed, {"spec", "overrides"});
      overrides != nullptr && overrides->IsArray()) {
    for (const rapidjson::Value& o : overrides->GetArray()) {
      if (!o.IsObject() || json::GetString(o, "clusterName") != cluster) continue;
      if (const rapidjson::Value* ops = json::Find(o, "clusterOverrides")) {
        result.overrides_json = json::Serialize(*ops);
      }
    }
  }
  PlanInput input = inputs_.Build(fed, key, cluster);
  const ClusterState* state = input.Cluster(cluster);
  if (state == nullptr) {
    result.render_error = absl::StrCat("no member cluster named \"", cluster, "\"");
    return result;
  }
  Plan plan = PlanPropagation(input.request);
  if (plan.aggregate_reason == ft::kComputePlacementFailed) {
    result.render_error = plan.aggregate_message;
    return result;
  }
  if (plan.selected.count(cluster) == 0) return result;  // not placed there: nothing rendered
  ft::RenderRequest render;
  render.federated_object = fed.get();
  render.type_config = &type;
  render.cluster = cluster;
  render.live = state->live;
  absl::StatusOr<ft::RenderedObject> rendered = ft::RenderForCluster(render);
  if (!rendered.ok()) {
    result.render_error =
        absl::StrCat(ft::RenderFailureStatus(rendered.status()), ": ", rendered.status().message());
    return result;
  }
  result.rendered_json = json::SerializePretty(rendered->object);
  return result;
}

}  // namespace kfed::controller
