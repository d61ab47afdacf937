#include "cli/unjoin.h"

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/join.h"
#include "controller/mcs_plan.h"
#include "federated_types/keys.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

absl::Status Unjoin(kube::Client& host, kube::Client* member, const UnjoinOptions& options,
                    std::ostream& out) {
  if (options.cluster_name.empty()) {
    return absl::InvalidArgumentError("unjoin needs the cluster NAME");
  }
  const std::string& ns = options.kubefed_namespace;
  const std::string member_label = absl::StrCat("member cluster ", options.cluster_name);
  absl::StatusOr<kube::ObjectPtr> cluster =
      host.Get(KubeFedClustersResource(), ns, options.cluster_name);
  if (!cluster.ok() && !kube::IsNotFound(cluster.status())) {
    return Explain(cluster.status(), "host");
  }
  std::string sa_ns = ns;
  std::string sa = ServiceAccountName(options.cluster_name, options.host_cluster_name);
  std::string host_secret;
  if (cluster.ok()) {
    const rapidjson::Value* recorded =
        json::FindPath(**cluster, {"metadata", "annotations", kServiceAccountAnnotation});
    if (recorded != nullptr && recorded->IsString()) {
      std::vector<std::string> parts = absl::StrSplit(recorded->GetString(), '/');
      if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) {
        sa_ns = parts[0];
        sa = parts[1];
      }
    }
    if (const rapidjson::Value* ref = json::FindPath(**cluster, {"spec", "secretRef"})) {
      host_secret = json::GetString(*ref, "name");
    }
  }

  bool found = cluster.ok();
  // Member first: while it cannot be cleaned, the host keeps the record of it.
  absl::Status reach = member == nullptr
                           ? absl::UnavailableError("no client for it")
                           : member->Get(kube::NamespacesResource(), "", "kube-system").status();
  if (!reach.ok()) {
    absl::Status explained = Explain(reach, member_label);
    if (!options.force) {
      return Annotate(explained,
                      "cannot clean up the member (pass --force to remove it from the host "
                      "anyway)");
    }
    out << "warning: " << explained.message() << "; --force: leaving its objects in place\n";
  } else {
    const std::string role = ClusterRoleName(sa);
    struct Target {
      kube::GroupVersionResource gvr;
      std::string ns, name;
    };
    const Target targets[] = {
        {ClusterRoleBindingsResource(), "", role},
        {ClusterRolesResource(), "", role},
        {RoleBindingsResource(), sa_ns, role},
        {RolesResource(), sa_ns, role},
        {kube::SecretsResource(), sa_ns, absl::StrCat(sa, "-token")},
        {ServiceAccountsResource(), sa_ns, sa},
    };
    for (const Target& t : targets) {
      ASSIGN_OR_RETURN(bool was, DeleteIfPresent(*member, member_label, t.gvr, t.ns, t.name,
                                                 options.dry_run, out));
      found = found || was;
    }
  }

  if (cluster.ok()) {
    ASSIGN_OR_RETURN(bool was, DeleteIfPresent(host, "host", KubeFedClustersResource(), ns,
                                               options.cluster_name, options.dry_run, out));
    (void)was;
    if (!host_secret.empty()) {
      ASSIGN_OR_RETURN(was, DeleteIfPresent(host, "host", kube::SecretsResource(), ns, host_secret,
                                            options.dry_run, out));
    }
  }
  // Last, the ClusterSet's properties kfed wrote, and what Multi-Cluster Services published (controller/clusterset_controller.h): after
  // kfed's member RBAC and the KubeFedCluster are gone, so a running controller cannot write
  // them again. Another tool's are left, and so is the CRD (other tools may use it). They do
  // not count as "joined".
  if (reach.ok()) {
    kube::ListOptions managed;
    managed.label_selector = absl::StrCat(ft::kManagedByLabel, "=", ft::kManagedByKfed);
    absl::StatusOr<kube::ObjectList> properties =
        member->List(ClusterPropertiesResource(), "", managed);
    if (properties.ok()) {
      for (const kube::ObjectPtr& p : properties->items) {
        ASSIGN_OR_RETURN(bool was,
                         DeleteIfPresent(*member, member_label, ClusterPropertiesResource(), "",
                                         kube::Name(*p), options.dry_run, out));
        (void)was;
      }
    } else if (!kube::IsNotFound(properties.status())) {
      return Explain(properties.status(), member_label);
    }
    // Multi-Cluster Services (controller/mcs_controller.h): the ServiceImports and
    // EndpointSlices kfed published here (its label on them); the users' ServiceExports stay.
    const kube::GroupVersionResource mcs_types[] = {
        controller::mcs::ServiceImportsResource(), controller::mcs::EndpointSlicesResource()};
    for (const kube::GroupVersionResource& gvr : mcs_types) {
      absl::StatusOr<kube::ObjectList> objects = member->List(gvr, "", managed);
      if (!objects.ok()) {
        // No mcs-api CRD: nothing of kfed's can be there.
        if (kube::IsNotFound(objects.status())) continue;
        return Explain(objects.status(), member_label);
      }
      for (const kube::ObjectPtr& o : objects->items) {
        ASSIGN_OR_RETURN(bool was, DeleteIfPresent(*member, member_label, gvr, kube::Namespace(*o),
                                                   kube::Name(*o), options.dry_run, out));
        (void)was;
      }
    }
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("cluster ", options.cluster_name,
                                            " is not joined: no KubeFedCluster ", ns, "/",
                                            options.cluster_name, " in the host"));
  }
  out << (options.dry_run ? "would unjoin " : "unjoined ") << options.cluster_name << "\n";
  return absl::OkStatus();
}

void AddUnjoinCommand(CLI::App& app, CommandEnv& env) {
  struct Flags {
    UnjoinOptions unjoin;
    std::string context;  // --cluster-context
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "unjoin",
      "Remove a member cluster: what join created in the member, then the KubeFedCluster and "
      "its Secret in the host.\n\nExample:\n  kfedctl --host-cluster-context host unjoin member1 "
      "--cluster-context member1");
  cmd->add_option("NAME", flags->unjoin.cluster_name, "The name of the KubeFedCluster")->required();
  cmd->add_option("--cluster-context", flags->context,
                  "The kubeconfig context of the member (default: NAME)");
  cmd->add_option("--host-cluster-name", flags->unjoin.host_cluster_name,
                  "The host's name given to join (default: the host context)");
  cmd->add_flag("--force", flags->unjoin.force,
                "Remove the host's records even when the member cannot be reached");
  OnRun(*cmd, env, [&env, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(HostClient host, ConnectHost(env.global));
    UnjoinOptions& unjoin = flags->unjoin;
    const std::string& context = flags->context.empty() ? unjoin.cluster_name : flags->context;
    if (unjoin.host_cluster_name.empty()) unjoin.host_cluster_name = host.context;
    unjoin.kubefed_namespace = env.global.kubefed_namespace;
    unjoin.dry_run = env.global.dry_run;
    // A member context that cannot be loaded is an error unless --force: then only the host's
    // records are removed.
    std::unique_ptr<kube::Client> member;
    absl::StatusOr<kube::RestConfig> member_config = LoadContext(env.global, context);
    if (member_config.ok()) {
      absl::StatusOr<std::unique_ptr<kube::Client>> client = ClientForConfig(*member_config);
      if (client.ok()) member = std::move(*client);
    } else if (!unjoin.force) {
      return Annotate(member_config.status(), "member cluster");
    } else {
      std::cout << "warning: member cluster: " << member_config.status().message()
                << "; --force: removing the host's records only\n";
    }
    return Unjoin(*host.client, member.get(), unjoin, std::cout);
  });
}

}  // namespace kfed::cli
