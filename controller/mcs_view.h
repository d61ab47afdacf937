// What the status API and the dashboard show of Multi-Cluster Services (status.proto's
// MultiClusterService and McsMember): the MCS controller's view of one exported service, and
// the pure helpers that build it from cached objects. No I/O.
#ifndef KFED_CONTROLLER_MCS_VIEW_H_
#define KFED_CONTROLLER_MCS_VIEW_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "controller/mcs_plan.h"
#include "kube/resource.h"
#include "rapidjson/document.h"
#include "status/status.pb.h"

namespace kfed::controller {

// McsMemberView.state values (status.proto McsMember.state).
inline constexpr absl::string_view kMcsActive = "Active";
inline constexpr absl::string_view kMcsNoCrds = "NoCrds";
inline constexpr absl::string_view kMcsUnreadable = "Unreadable";
inline constexpr absl::string_view kMcsPending = "Pending";

// One member's ServiceExport of a service.
struct McsExportView {
  std::string cluster;
  std::string cluster_id;                  // "" while unknown
  std::vector<mcs::Condition> conditions;  // Valid, Conflict, Ready as kfed set them
  bool operator==(const McsExportView& o) const {
    return cluster == o.cluster && cluster_id == o.cluster_id && conditions == o.conditions;
  }
};

// The endpoints one Ready exporting cluster contributes.
struct McsEndpointCount {
  std::string cluster;
  std::string cluster_id;
  int ready = 0;
  int total = 0;
  bool operator==(const McsEndpointCount& o) const {
    return cluster == o.cluster && cluster_id == o.cluster_id && ready == o.ready &&
           total == o.total;
  }
};

// A view of one exported service, for logs, tests and the status API.
struct McsServiceView {
  std::vector<std::string> exporting;  // cluster names of the valid exports, oldest first
  std::string type;                    // ClusterSetIP / Headless; "" when nothing is valid
  std::string ip;
  std::vector<std::string> importing;  // clusters holding kfed's ServiceImport
  std::vector<mcs::ImportPort> ports;  // the ServiceImport's ports
  std::string session_affinity;
  // Every export: the valid ones oldest first, then the others by cluster.
  std::vector<McsExportView> exports;
  // Per Ready exporting cluster with a valid export, by cluster.
  std::vector<McsEndpointCount> endpoints;
  // Ready members where the namespace is missing (no import there).
  std::vector<std::string> namespace_missing;
};

// A member's part in Multi-Cluster Services.
struct McsMemberView {
  std::string state = std::string(kMcsPending);  // kMcsActive, kMcsNoCrds, ...
  std::string message;                           // why it takes no part; "" when active
};

// Adds the endpoints of one EndpointSlice: every entry of `endpoints` to `total`, those whose
// conditions.ready is not false (discovery.k8s.io: unset means ready) to `ready`.
void CountEndpoints(const rapidjson::Value& slice, McsEndpointCount& count);

// The conditions in a ServiceExport's status (types Valid, Conflict, Ready; others skipped).
std::vector<mcs::Condition> ExportConditions(const rapidjson::Value& service_export);

// The conditions of `object`'s status with `wanted` set (others kept) in `out`; whether they
// changed. lastTransitionTime moves only when a condition's status does.
bool MergeExportConditions(const rapidjson::Value& object, const std::vector<mcs::Condition>& wanted,
                           absl::Time now, rapidjson::Document& out);

// The view of one service: `exports` (cluster -> its ServiceExport, valid or not) in the order
// the API shows (the valid ones as `merged.clusters` lists them, then the others by cluster),
// each with the conditions kfed just `set` (Ready members) or else those the object carries;
// ports and session affinity only when some export is valid.
McsServiceView BuildServiceView(const mcs::MergedService& merged, const std::string& ip,
                                const std::map<std::string, kube::ObjectPtr>& exports,
                                const std::map<std::string, std::vector<mcs::Condition>>& set,
                                const std::map<std::string, std::string>& ids,
                                std::vector<McsEndpointCount> endpoints,
                                std::vector<std::string> importing,
                                std::vector<std::string> namespace_missing);

// Whether a group-version discovery document (an APIResourceList, as GET
// /apis/multicluster.x-k8s.io/v1alpha1 answers) lists both serviceexports and serviceimports.
bool ServesMcsApi(const rapidjson::Value& resource_list);

// status.proto's messages.
status::v1::MultiClusterService MultiClusterServiceStatus(const std::string& ns,
                                                          const std::string& name,
                                                          const McsServiceView& view,
                                                          absl::Time reconciled);
status::v1::McsMember McsMemberStatus(const std::string& cluster, const McsMemberView& view);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MCS_VIEW_H_
