#include "controller/status_assembly.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "federated_types/keys.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

AssembledStatus AssembleStatus(const StatusAssemblyInput& in) {
  const Plan& plan = *in.plan;
  const ObjectRecord& obj = *in.record;
  AssembledStatus out;

  StatusInput status;
  status.generation = in.generation;
  status.aggregate_reason = plan.aggregate_reason;
  status.aggregate_message = plan.aggregate_message;
  status.note = plan.note;
  status.now = in.now;
  for (const auto& [name, rec] : obj.clusters) out.accounted[name] = rec.outcome_seq;
  const bool versions_current =
      obj.template_version == in.template_version && obj.overrides_version == in.overrides_version;
  for (const ClusterAction& a : plan.actions) {
    auto rec = obj.clusters.find(a.cluster);
    const bool failed =
        rec != obj.clusters.end() && rec->second.has_outcome && !rec->second.last.status.empty();
    if (a.op == Operation::kNone) {
      if (a.selected || !a.status.empty()) status.clusters[a.cluster] = {a.status, a.message};
      if (a.selected && a.status.empty() && !a.version.empty()) out.versions[a.cluster] = a.version;
    } else if (failed) {
      status.clusters[a.cluster] = {rec->second.last.status, rec->second.last.message};
    } else {
      out.pending = true;
    }
    if (versions_current && a.selected) {
      auto v = obj.versions.find(a.cluster);
      if (v != obj.versions.end() && out.versions.count(a.cluster) == 0) {
        out.versions[a.cluster] = v->second;
      }
    }
    PublishedCluster p;
    p.cluster = a.cluster;
    p.op = a.op;
    p.plan_status = a.status;
    p.plan_message = a.message;
    if (a.op != Operation::kNone && failed) {
      p.failed_status = rec->second.last.status;
      p.failed_message = rec->second.last.message;
    }
    if (rec != obj.clusters.end()) p.latency_seconds = rec->second.latency_seconds;
    auto generation = in.member_generations.find(a.cluster);
    if (generation != in.member_generations.end()) p.member_generation = generation->second;
    out.clusters.push_back(std::move(p));
    // Member objects were written since the last status: lastUpdateTime moves.
    if (a.op != Operation::kNone && rec != obj.clusters.end() && rec->second.last.wrote) {
      status.resources_updated = true;
    }
  }
  if (in.collect_remote_status) {
    // As KubeFed: the member object's status as the cache holds it, except where the member
    // could not be read (not ready, cache not synced).
    status.collect_remote_status = true;
    for (auto& [cluster, outcome] : status.clusters) {
      if (outcome.status == ft::kClusterNotReady || outcome.status == ft::kCachedRetrievalFailed) {
        continue;
      }
      auto remote = in.remote_statuses.find(cluster);
      if (remote != in.remote_statuses.end()) outcome.remote_status = remote->second;
    }
  }
  if (out.pending) {
    out.recheck_after = kPendingStatusRecheck;
    out.accounted.clear();
    out.versions.clear();
    return out;
  }
  out.update = ComputeStatus(in.current_status, status);
  out.record_versions = plan.aggregate_reason != ft::kComputePlacementFailed && in.versions_ok;
  return out;
}

DeletionView AssembleDeletionView(const DeletionPlan& plan, const ObjectRecord& record) {
  DeletionView view;
  std::vector<std::string> remaining = plan.waiting;
  for (const ClusterAction& a : plan.actions) {
    PublishedCluster p;
    p.cluster = a.cluster;
    p.op = a.op;
    p.plan_status = a.status;
    p.plan_message = a.message;
    auto rec = record.clusters.find(a.cluster);
    if (rec != record.clusters.end() && rec->second.has_outcome && a.op != Operation::kNone) {
      p.failed_status = rec->second.last.status;
      p.failed_message = rec->second.last.message;
    }
    view.clusters.push_back(std::move(p));
    remaining.push_back(a.cluster);
  }
  for (const std::string& cluster : plan.waiting) {
    PublishedCluster p;
    p.cluster = cluster;
    p.waiting_for_removal = true;
    view.clusters.push_back(std::move(p));
  }
  std::sort(remaining.begin(), remaining.end());
  view.waiting = absl::StrJoin(remaining, ", ");
  return view;
}

}  // namespace kfed::controller
