#include "cli/orphaning.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/types.h"
#include "federated_types/keys.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

absl::Status OrphaningDeletion(kube::Client& host, kube::Discovery* discovery,
                               const OrphaningOptions& options, std::ostream& out) {
  if (options.action != "enable" && options.action != "disable" && options.action != "status") {
    return absl::InvalidArgumentError(
        absl::StrCat("orphaning-deletion ", options.action, ": want enable, disable or status"));
  }
  ASSIGN_OR_RETURN(TypeInfo type,
                   FindTypeConfig(host, discovery, options.kubefed_namespace, options.type));
  if (type.target.namespaced && options.ns.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(type.name, " is namespaced: pass -n NAMESPACE"));
  }
  auto [ns, name] = FederatedName(type, options.ns, options.name);
  const std::string display =
      absl::StrCat(type.federated.kind, " ", type.federated.namespaced ? ns + "/" : "", name);
  const std::string object_ns = type.federated.namespaced ? ns : "";
  absl::StatusOr<kube::ObjectPtr> fed = host.Get(type.federated, object_ns, name);
  if (!fed.ok()) {
    if (kube::IsNotFound(fed.status())) {
      return absl::NotFoundError(absl::StrCat("host: ", display,
                                              " not found (is it federated? `kfedctl federate ",
                                              options.type, " ", options.name, "`)"));
    }
    return Explain(fed.status(), "host");
  }
  const rapidjson::Value* current =
      json::FindPath(**fed, {"metadata", "annotations", ft::kOrphanAnnotation});
  const bool enabled = current != nullptr && current->IsString() &&
                       absl::string_view(current->GetString()) == ft::kOrphanAnnotationTrue;
  if (options.action == "status") {
    out << "orphaning-deletion for " << display << ": " << (enabled ? "Enabled" : "Disabled")
        << "\n";
    return absl::OkStatus();
  }
  const bool want = options.action == "enable";
  if (want == enabled) {
    out << "orphaning-deletion for " << display << " is already " << (want ? "enabled" : "disabled")
        << "\n";
    return absl::OkStatus();
  }
  const std::string patch =
      absl::StrCat(R"({"metadata":{"annotations":{")", ft::kOrphanAnnotation, R"(":)",
                   want ? absl::StrCat("\"", ft::kOrphanAnnotationTrue, "\"") : "null", "}}}");
  if (options.dry_run) {
    out << "would " << options.action << " orphaning-deletion for " << display << "\n";
    return absl::OkStatus();
  }
  absl::StatusOr<kube::ObjectPtr> patched =
      host.Patch(type.federated, object_ns, name, kube::PatchType::kMerge, patch,
                 kube::PatchOptions{"kfedctl"});
  if (!patched.ok()) return Explain(patched.status(), "host");
  out << "orphaning-deletion " << (want ? "enabled" : "disabled") << " for " << display
      << (want ? ": deleting it will leave its copies in the member clusters\n" : "\n");
  return absl::OkStatus();
}

void AddOrphaningDeletionCommand(CLI::App& app, CommandEnv& env) {
  auto orphaning = std::make_shared<OrphaningOptions>();
  CLI::App* cmd = app.add_subcommand(
      "orphaning-deletion",
      "Enable, disable or show orphaning deletion of a federated object: when enabled, "
      "deleting it leaves its copies in the member clusters.\n\nExample:\n  kfedctl "
      "orphaning-deletion enable configmaps my-config -n my-ns");
  const std::vector<std::string> actions = {"enable", "disable", "status"};
  cmd->add_option("ACTION", orphaning->action, "enable, disable or status")
      ->required()
      ->check(CLI::IsMember(actions));
  cmd->add_option("TYPE", orphaning->type, "The type")->required();
  cmd->add_option("NAME", orphaning->name, "The object's name")->required();
  cmd->add_option("-n,--namespace", orphaning->ns,
                  "The object's namespace (default: the host context's namespace)");
  env.completion_words[cmd->get_name()] = actions;
  OnRun(*cmd, env, [&env, orphaning]() -> absl::Status {
    ASSIGN_OR_RETURN(HostClient host, ConnectHost(env.global));
    kube::Discovery discovery(*host.client);
    if (orphaning->ns.empty()) orphaning->ns = host.default_namespace;
    orphaning->kubefed_namespace = env.global.kubefed_namespace;
    orphaning->dry_run = env.global.dry_run;
    return OrphaningDeletion(*host.client, &discovery, *orphaning, std::cout);
  });
}

}  // namespace kfed::cli
