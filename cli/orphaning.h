// kfedctl orphaning-deletion enable|disable|status: the `kubefed.io/orphan` annotation on a
// federated object. Enabled, deleting the federated object leaves its copies in the
// member clusters (without the managed label) instead of deleting them.
#ifndef KFED_CLI_ORPHANING_H_
#define KFED_CLI_ORPHANING_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "cli/command.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kfed::cli {

struct OrphaningOptions {
  std::string action;  // enable | disable | status
  std::string type;
  std::string name;
  std::string ns;  // the target's namespace (-n)
  std::string kubefed_namespace = "kube-federation-system";
  bool dry_run = false;
};

// Prints "orphaning-deletion for <Kind> ns/name: Enabled|Disabled" (status) or what changed.
absl::Status OrphaningDeletion(kube::Client& host, kube::Discovery* discovery,
                               const OrphaningOptions& options, std::ostream& out);

// `kfedctl orphaning-deletion ACTION TYPE NAME`: the subcommand, its flags, and a callback
// running OrphaningDeletion against the host context (-n defaults to the context's namespace).
void AddOrphaningDeletionCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_ORPHANING_H_
