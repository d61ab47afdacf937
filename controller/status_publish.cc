#include "controller/status_publish.h"

#include "base/json.h"
#include "federated_types/keys.h"
#include "status/store.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

status::v1::ClusterState ClusterStateFor(const PublishedCluster& c) {
  status::v1::ClusterState s;
  s.set_cluster(c.cluster);
  s.set_propagation_latency_seconds(c.latency_seconds);
  s.set_member_generation(c.member_generation);
  auto set = [&s](absl::string_view state, absl::string_view reason, absl::string_view message) {
    s.set_state(std::string(state));
    s.set_reason(std::string(reason));
    s.set_message(std::string(message));
  };
  switch (c.op) {
    case Operation::kCreate:
    case Operation::kUpdate:
    case Operation::kDelete:
    case Operation::kRemoveManagedLabel:
      if (!c.failed_status.empty()) {
        set(status::kStateError, c.failed_status, c.failed_message);
      } else if (c.op == Operation::kCreate || c.op == Operation::kUpdate) {
        set(status::kStatePending, "", "");
      } else {
        set(status::kStateDeleting, "", "");
      }
      return s;
    case Operation::kNone:
      break;
  }
  if (c.plan_status.empty()) {
    if (c.waiting_for_removal) {
      set(status::kStateDeleting, "", "waiting for the cluster to confirm removal");
    } else {
      set(status::kStatePropagated, "", "");
    }
  } else if (c.plan_status == ft::kWaitingForRemoval) {
    set(status::kStateDeleting, c.plan_status, c.plan_message);
  } else if (c.plan_status == ft::kCachedRetrievalFailed) {
    set(status::kStatePending, c.plan_status, c.plan_message);
  } else {
    set(status::kStateError, c.plan_status, c.plan_message);
  }
  return s;
}

void SetPropagation(const rapidjson::Value* status, status::v1::FederatedObject* object) {
  object->set_propagation("False");
  object->set_reason("");
  object->set_message("");
  const rapidjson::Value* conditions =
      status != nullptr && status->IsObject() ? json::Find(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->IsArray()) return;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (!c.IsObject() || json::GetString(c, "type") != ft::kPropagationConditionType) continue;
    object->set_propagation(json::GetString(c, "status"));
    object->set_reason(json::GetString(c, "reason"));
    object->set_message(json::GetString(c, "message"));
  }
}

int64_t GenerationOf(const rapidjson::Value* object) {
  if (object == nullptr) return 0;
  const rapidjson::Value* g = json::FindPath(*object, {"metadata", "generation"});
  return g != nullptr && g->IsInt64() ? g->GetInt64() : 0;
}

}  // namespace kfed::controller
