// kfedctl status: federated objects by member cluster, read from their `status` in the host
// (the controller writes status.clusters[] and the Propagation condition).
#ifndef KFED_CLI_STATUS_H_
#define KFED_CLI_STATUS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/types.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kfed::cli {

struct StatusRow {
  std::string type;  // the FTC name ("configmaps", "deployments.apps")
  std::string ns;
  std::string name;
  std::string cluster;  // "-" when the object is on no cluster (yet)
  std::string state;    // Propagated, a per-cluster status (CreationFailed, ...), or Pending
  std::string reason;   // the cluster's message, or the Propagation condition's reason
};

// Rows for one federated object (pure).
std::vector<StatusRow> RowsFor(const TypeInfo& type, const rapidjson::Value& federated);

// TYPE NAMESPACE NAME CLUSTER STATE REASON, aligned like `kubectl get`.
std::string RenderTable(const std::vector<StatusRow>& rows);
// A JSON array of {type, namespace, name, cluster, state, reason}.
std::string RenderJson(const std::vector<StatusRow>& rows);
std::string RenderYaml(const std::vector<StatusRow>& rows);

struct StatusOptions {
  std::string type;    // "" = every enabled type
  std::string name;    // "" = every object
  std::string ns;      // "" = every namespace
  std::string output;  // "" (table), json, yaml
  bool watch = false;
  absl::Duration interval = absl::Seconds(2);  // --watch: poll interval
  std::string kubefed_namespace = "kube-federation-system";
};

absl::StatusOr<std::vector<StatusRow>> CollectStatus(kube::Client& host, kube::Discovery* discovery,
                                                     const StatusOptions& options);

// Prints once, or with `watch` again whenever the rows change (until killed).
absl::Status PrintStatus(kube::Client& host, kube::Discovery* discovery,
                         const StatusOptions& options, std::ostream& out);

}  // namespace kfed::cli

#endif  // KFED_CLI_STATUS_H_
