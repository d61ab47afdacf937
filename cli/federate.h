// kfedctl federate: turns existing resources (or objects from a file) into federated ones.
//
// The template is the object minus what the server owns: status, uid, resourceVersion,
// generation, timestamps, managedFields, ownerReferences, finalizers, kubectl's
// last-applied annotation, Service clusterIP(s), nodePorts and healthCheckNodePort,
// ServiceAccount secrets and Namespace spec.finalizers. The placement selects every
// cluster (`clusterSelector: {}`). With `contents`, a namespace is federated with every
// object of an enabled namespaced type in it, except what the cluster makes by itself (the
// `default` ServiceAccount, `kube-root-ca.crt`, service-account token Secrets, objects
// owned by other objects) and the types in `skip_api_resources`.
#ifndef KFED_CLI_FEDERATE_H_
#define KFED_CLI_FEDERATE_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/command.h"
#include "cli/types.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "rapidjson/document.h"

namespace kfed::cli {

struct FederateOptions {
  std::string type;  // TYPE (unused with file_yaml)
  std::string name;  // NAME
  std::string ns;    // -n: the target's namespace
  bool contents = false;
  std::string file_yaml;     // -f FILE's content: objects to federate (need not exist)
  std::string output;        // "yaml": print the federated objects instead of creating them
  bool enable_type = false;  // enable TYPE first when it is not
  std::vector<std::string> skip_api_resources;  // with contents: FTC names or plurals
  std::string kubefed_namespace = "kube-federation-system";
  bool dry_run = false;
};

// The template for `target` (a copy with server-owned fields removed).
rapidjson::Document TemplateFor(const TypeInfo& type, const rapidjson::Value& target);

// The federated object for `target`, placed on all clusters.
rapidjson::Document FederatedObjectFor(const TypeInfo& type, const rapidjson::Value& target);

absl::Status Federate(kube::Client& host, kube::Discovery& discovery,
                      const FederateOptions& options, std::ostream& out);

// `kfedctl federate TYPE NAME | -f FILE`: the subcommand, its flags, and a callback running
// Federate against the host context (-n defaults to the context's namespace).
void AddFederateCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_FEDERATE_H_
