#include "controller/scheduling_status.h"

#include <set>

namespace kfed::controller {

status::v1::SchedulingPreference SchedulingPreferenceStatus(const std::string& ns,
                                                             const std::string& name,
                                                             const RspDistribution& d) {
  status::v1::SchedulingPreference out;
  out.set_namespace_(ns);
  out.set_name(name);
  out.set_target_kind(d.target_kind);
  out.set_total_replicas(d.total_replicas);
  out.set_problem_reason(d.problem_reason);
  out.set_problem_message(d.problem_message);
  if (d.last_plan != absl::InfinitePast()) out.set_last_plan_unix_ms(absl::ToUnixMillis(d.last_plan));
  std::set<std::string> clusters;
  for (const auto& [cluster, n] : d.replicas) clusters.insert(cluster);
  for (const auto& [cluster, member] : d.members) clusters.insert(cluster);
  for (const std::string& cluster : clusters) {
    status::v1::ReplicaDistribution* c = out.add_clusters();
    c->set_cluster(cluster);
    auto planned = d.replicas.find(cluster);
    c->set_planned_replicas(planned == d.replicas.end() ? 0 : planned->second);
    auto member = d.members.find(cluster);
    if (member != d.members.end()) {
      c->set_member_known(true);
      c->set_member_replicas(member->second.replicas);
      c->set_member_ready_replicas(member->second.ready_replicas);
    }
  }
  return out;
}

}  // namespace kfed::controller
