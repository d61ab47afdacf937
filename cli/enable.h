// kfedctl enable / disable: turn federation of an API type on and off.
//
// enable: the target's schema (the host's OpenAPI v3 document for built-in and aggregated
// types, the CRD's openAPIV3Schema for CRDs) becomes a Federated<Kind> CRD (federated_types/
// crds/crdgen.h) applied to the host and, once the CRD is Established, a
// FederatedTypeConfig in the federation namespace. Safe to run twice (both are updated).
// disable: refused while Federated<Kind> objects exist; deletes the FederatedTypeConfig and
// waits until the controller has released it (its finalizer), then optionally the CRD.
#ifndef KFED_CLI_ENABLE_H_
#define KFED_CLI_ENABLE_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/command.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace kfed::cli {

struct EnableOptions {
  std::string type;      // TYPE as the user wrote it; ignored when crd_yaml is set
  std::string crd_yaml;  // -f FILE's content: a CustomResourceDefinition to federate
  std::string federated_group = "types.kubefed.io";
  std::string federated_version = "v1beta1";
  std::string target_version;  // --version: this version of the type ("": the preferred one)
  std::string output;  // "yaml": print the CRD and FTC instead of applying them
  std::string kubefed_namespace = "kube-federation-system";
  bool dry_run = false;
  absl::Duration timeout = absl::Seconds(60);  // for the CRD to become Established
};

absl::Status Enable(kube::Client& host, kube::Discovery& discovery, const EnableOptions& options,
                    std::ostream& out);

struct DisableOptions {
  std::string type;  // TYPE, or the FederatedTypeConfig's name
  bool delete_crd = false;
  // kubefedctl's --federated-group and --version: when set, the FederatedTypeConfig must
  // federate into that group / target that version (else kInvalidArgument naming both).
  std::string federated_group;
  std::string target_version;
  std::string kubefed_namespace = "kube-federation-system";
  bool dry_run = false;
  absl::Duration timeout = absl::Seconds(60);  // for the FTC (and CRD) to be gone
};

absl::Status Disable(kube::Client& host, kube::Discovery* discovery, const DisableOptions& options,
                     std::ostream& out);

// `kfedctl enable TYPE | -f FILE` and `kfedctl disable TYPE`: the subcommands, their flags,
// and callbacks running Enable / Disable against the host context.
void AddEnableCommand(CLI::App& app, CommandEnv& env);
void AddDisableCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_ENABLE_H_
