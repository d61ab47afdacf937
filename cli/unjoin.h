// kfedctl unjoin: removes what `kfedctl join` created, in both clusters.
//
// In the member: the ClusterRoleBinding, ClusterRole, RoleBinding, Role, token Secret and
// ServiceAccount (the federation namespace stays: other members' or the host's objects may live
// there). In the host: the KubeFedCluster and its Secret. The member is cleaned first so that, when
// it cannot be reached, the host still knows about it; `force` skips an unreachable member and
// removes the host side anyway.
#ifndef KFED_CLI_UNJOIN_H_
#define KFED_CLI_UNJOIN_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "cli/command.h"
#include "kube/client.h"

namespace kfed::cli {

struct UnjoinOptions {
  std::string cluster_name;       // NAME: the KubeFedCluster
  std::string host_cluster_name;  // the ServiceAccount is "<cluster>-<host cluster>" unless
                                  // the KubeFedCluster records it
  std::string kubefed_namespace = "kube-federation-system";
  bool force = false;
  bool dry_run = false;
};

// `member` is null when no client could be made for it (e.g. its context is gone); that
// needs `force`. kNotFound when the cluster is joined in neither cluster.
absl::Status Unjoin(kube::Client& host, kube::Client* member, const UnjoinOptions& options,
                    std::ostream& out);

// `kfedctl unjoin NAME`: the subcommand, its flags, and a callback running Unjoin with clients
// for the host and the member (--cluster-context, default NAME) contexts.
void AddUnjoinCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_UNJOIN_H_
