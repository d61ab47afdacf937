#include "cli/join.h"

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/member_crds.h"
#include "federated_types/keys.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

std::string ServiceAccountName(absl::string_view cluster_name,
                               absl::string_view host_cluster_name) {
  return absl::StrCat(cluster_name, "-", host_cluster_name);
}

std::string ClusterRoleName(absl::string_view service_account) {
  return absl::StrCat("kubefed-controller-manager:", service_account);
}

namespace {

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

rapidjson::Document MustParse(const std::string& text) {
  absl::StatusOr<rapidjson::Document> doc = json::Parse(text);
  CHECK(doc.ok()) << doc.status();  // built from our own literals
  return std::move(*doc);
}

std::string Quote(absl::string_view s) {
  rapidjson::Value v(rapidjson::StringRef(s.data(), s.size()));
  return json::Serialize(v);
}

}  // namespace

std::string MemberTypeRules(const std::vector<ft::TypeConfig>& types, bool namespaced_only) {
  std::map<std::string, std::set<std::string>> by_group;  // API group -> target resources
  std::set<std::string> escalate;                         // roles/clusterroles propagated
  bool bind = false;                                      // bindings propagated
  for (const ft::TypeConfig& type : types) {
    const ft::ApiResource& target = type.target_type;
    if (namespaced_only && target.scope != ft::Scope::kNamespaced) continue;
    by_group[target.group].insert(target.plural_name);
    if (target.group != kRbacGroup) continue;
    if (target.plural_name == "roles" || target.plural_name == "clusterroles") {
      escalate.insert(target.plural_name);
    }
    if (target.plural_name == "rolebindings" || target.plural_name == "clusterrolebindings") {
      bind = true;
    }
  }
  auto quoted = [](const std::set<std::string>& names) {
    std::vector<std::string> out;
    for (const std::string& n : names) out.push_back(Quote(n));
    return absl::StrJoin(out, ",");
  };
  std::vector<std::string> rules;
  // What the sync controller does with a target type: list+watch (its member cache), get
  // (adoption), create, update (full PUT), patch (removing the managed label), delete.
  for (const auto& [group, resources] : by_group) {
    rules.push_back(absl::StrCat(
        R"({"apiGroups":[)", Quote(group), R"(],"resources":[)", quoted(resources),
        R"(],"verbs":["create","delete","get","list","patch",)", R"("update","watch"]})"));
  }
  // Creating a role whose rules the ServiceAccount does not hold needs `escalate`; creating
  // a binding needs `bind` on the role it names.
  if (!escalate.empty()) {
    rules.push_back(absl::StrCat(R"({"apiGroups":[)", Quote(kRbacGroup), R"(],"resources":[)",
                                 quoted(escalate), R"(],"verbs":["escalate"]})"));
  }
  if (bind) {
    rules.push_back(absl::StrCat(R"({"apiGroups":[)", Quote(kRbacGroup),
                                 R"(],"resources":["clusterroles","roles"],"verbs":["bind"]})"));
  }
  // The ReplicaSchedulingPreference scheduler lists the pods of a Deployment or ReplicaSet
  // that is not fully ready, to estimate the member's capacity (controller/pod_analysis.h).
  const std::set<std::string>& apps = by_group["apps"];
  if (apps.count("deployments") > 0 || apps.count("replicasets") > 0) {
    rules.push_back(R"({"apiGroups":[""],"resources":["pods"],"verbs":["list"]})");
  }
  return absl::StrCat("[", absl::StrJoin(rules, ","), "]");
}

namespace {

absl::StatusOr<std::string> WaitForToken(kube::Client& member, absl::string_view cluster,
                                         const std::string& ns, const std::string& secret,
                                         absl::Duration timeout, std::ostream& out,
                                         std::string* ca_crt) {
  const absl::Time deadline = absl::Now() + timeout;
  bool announced = false;
  while (true) {
    absl::StatusOr<kube::ObjectPtr> got = member.Get(kube::SecretsResource(), ns, secret);
    if (!got.ok()) return Explain(got.status(), cluster);
    const rapidjson::Value* token = json::FindPath(**got, {"data", "token"});
    if (token != nullptr && token->IsString() && token->GetStringLength() > 0) {
      const rapidjson::Value* ca = json::FindPath(**got, {"data", "ca.crt"});
      if (ca != nullptr && ca->IsString()) *ca_crt = ca->GetString();
      return std::string(token->GetString());
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(cluster, ": the token controller did not fill Secret ", ns, "/", secret,
                       " within ", absl::FormatDuration(timeout),
                       " (is kube-controller-manager running in the member, with "
                       "--service-account-private-key-file?)"));
    }
    if (!announced) {
      out << cluster << ": waiting for the token in Secret " << ns << "/" << secret << "\n";
      announced = true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

absl::Status JoinSteps(kube::Client& host, kube::Client& member, const MemberEndpoint& endpoint,
                       const JoinOptions& options, std::ostream& out,
                       std::vector<CreatedObject>& created) {
  const std::string& ns = options.kubefed_namespace;
  const std::string member_label = absl::StrCat("member cluster ", options.cluster_name);
  const std::string host_label = "host";
  const std::string sa = ServiceAccountName(options.cluster_name, options.host_cluster_name);
  const std::string role = ClusterRoleName(sa);
  const std::string token_secret = absl::StrCat(sa, "-token");
  const std::string host_secret = options.secret_name.empty()
                                      ? absl::StrCat(options.cluster_name, "-secret")
                                      : options.secret_name;

  // Host checks first: fail before touching the member.
  absl::StatusOr<kube::ObjectPtr> host_ns = host.Get(kube::NamespacesResource(), "", ns);
  if (!host_ns.ok()) {
    if (kube::IsNotFound(host_ns.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("host: namespace ", ns,
                       " not found: install kfed in the host first (docs/user-guide.md, step 1) "
                       "or pass --kubefed-namespace"));
    }
    return Explain(host_ns.status(), host_label);
  }
  absl::StatusOr<kube::ObjectList> clusters =
      host.List(KubeFedClustersResource(), ns, kube::ListOptions{});
  if (!clusters.ok()) {
    if (kube::IsNotFound(clusters.status())) {
      return absl::FailedPreconditionError(
          "host: the KubeFedCluster CRD is not installed: apply federated_types/crds/ first");
    }
    return Explain(clusters.status(), host_label);
  }
  absl::StatusOr<kube::ObjectPtr> existing =
      host.Get(KubeFedClustersResource(), ns, options.cluster_name);
  if (existing.ok() && options.error_on_existing) {
    return absl::AlreadyExistsError(absl::StrCat(
        "host: KubeFedCluster ", ns, "/", options.cluster_name,
        " already exists (--error-on-existing); unjoin it first or choose another name"));
  }
  if (!existing.ok() && !kube::IsNotFound(existing.status())) {
    return Explain(existing.status(), host_label);
  }

  // KubeFedConfig `kubefed` decides the scope (absent: Cluster, KubeFed's default).
  bool namespaced = false;
  absl::StatusOr<kube::ObjectPtr> kubefed_config =
      host.Get(KubeFedConfigsResource(), ns, ft::kKubeFedConfigName);
  if (kubefed_config.ok()) {
    const rapidjson::Value* scope = json::FindPath(**kubefed_config, {"spec", "scope"});
    namespaced = scope != nullptr && scope->IsString() &&
                 absl::string_view(scope->GetString()) == ft::kNamespacedScope;
  } else if (!kube::IsNotFound(kubefed_config.status())) {
    return Explain(kubefed_config.status(), host_label);
  }

  // The federated types decide what the member grants (least privilege), unless everything
  // is asked for. Every FederatedTypeConfig counts, enabled or not, so that enabling one
  // later needs no new join.
  std::string type_rules;
  if (options.member_rbac == MemberRbac::kTypes) {
    absl::StatusOr<kube::ObjectList> ftcs =
        host.List(FederatedTypeConfigsResource(), ns, kube::ListOptions{});
    if (!ftcs.ok()) return Explain(ftcs.status(), host_label);
    std::vector<ft::TypeConfig> types;
    for (const kube::ObjectPtr& ftc : ftcs->items) {
      absl::StatusOr<ft::TypeConfig> type = ft::ParseTypeConfig(*ftc);
      if (!type.ok()) {
        out << host_label << ": skipping FederatedTypeConfig " << kube::Name(*ftc) << ": "
            << type.status().message() << "\n";
        continue;
      }
      types.push_back(*std::move(type));
    }
    type_rules = MemberTypeRules(types, namespaced);
    out << member_label << ": granting access to the target types of " << types.size()
        << " FederatedTypeConfigs (run join again after enabling another type; "
           "--member-rbac=all grants everything, as KubeFed did)\n";
  }

  // The member's identity; also proves it is reachable before anything is written.
  absl::StatusOr<kube::ObjectPtr> kube_system =
      member.Get(kube::NamespacesResource(), "", "kube-system");
  if (!kube_system.ok()) {
    return Explain(kube_system.status(),
                   absl::StrCat(member_label, " (", endpoint.api_endpoint, ")"));
  }
  const std::string cluster_id = kube::Uid(**kube_system);
  if (existing.ok()) {
    const rapidjson::Value* recorded =
        json::FindPath(**existing, {"metadata", "annotations", kClusterIdAnnotation});
    if (recorded != nullptr && recorded->IsString() && !cluster_id.empty() &&
        recorded->GetString() != cluster_id) {
      return absl::AlreadyExistsError(
          absl::StrCat("host: KubeFedCluster ", options.cluster_name,
                       " already names another cluster (id ", recorded->GetString(),
                       ", this one is ", cluster_id, "); unjoin it first or choose another name"));
    }
  }

  // Member side.
  // KEP-2149's ClusterProperty CRD, for the ClusterSet's properties that the controller keeps
  // (a newer one installed by another tool is kept; never rolled back: other tools' properties
  // would go with it).
  {
    absl::StatusOr<rapidjson::Document> crd = yaml::ParseYaml(kClusterPropertyCrdYaml);
    if (!crd.ok()) return crd.status();  // a build defect; the test parses it
    RETURN_IF_ERROR(EnsureObject(member, member_label, kube::CustomResourceDefinitionsResource(),
                                 "", *crd, ExistingPolicy::kKeep, options.dry_run, out)
                        .status());
  }
  RETURN_IF_ERROR(EnsureObject(member, member_label, kube::NamespacesResource(), "",
                               MustParse(absl::StrCat(
                                   R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":)",
                                   Quote(ns), "}}")),
                               ExistingPolicy::kKeep, options.dry_run, out, &created)
                      .status());
  RETURN_IF_ERROR(
      EnsureObject(member, member_label, ServiceAccountsResource(), ns,
                   MustParse(absl::StrCat(
                       R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":)",
                       Quote(sa), R"(,"namespace":)", Quote(ns), "}}")),
                   ExistingPolicy::kKeep, options.dry_run, out, &created)
          .status());
  // Cluster scope: the rules cluster-wide. Namespaced scope: the rules in the federation
  // namespace (Role) and only the health endpoints cluster-wide. The rules are the target
  // types' (default) or everything (--member-rbac=all, KubeFed's behaviour).
  // Always, cluster-wide: the health endpoints, and what the ClusterSet needs (the cluster
  // ID is kube-system's UID; the two ClusterProperties, controller/clusterset_controller.h)
  // and Multi-Cluster Services.
  const std::string health_rule = absl::StrCat(
      R"({"nonResourceURLs":["/healthz","/readyz","/version"],"verbs":["get"]},)",
      R"({"apiGroups":[""],"resources":["namespaces"],"resourceNames":["kube-system"],)",
      R"("verbs":["get"]},)",
      R"({"apiGroups":[)", Quote(ft::kAboutGroup), R"(],"resources":[)",
      Quote(ft::kClusterPropertiesResource),
      R"(],"verbs":["get","list","watch","create","update","patch","delete"]},)",
      // Multi-Cluster Services (controller/mcs_controller.h): read ServiceExports, Services,
      // EndpointSlices and Namespaces; write ServiceExport status, ServiceImports and the
      // EndpointSlices kfed publishes.
      R"({"apiGroups":[""],"resources":["namespaces","services"],"verbs":["get","list","watch"]},)"
      R"({"apiGroups":["discovery.k8s.io"],"resources":["endpointslices"],)"
      R"("verbs":["get","list","watch","create","update","patch","delete"]},)"
      R"({"apiGroups":["multicluster.x-k8s.io"],"resources":["serviceexports"],)"
      R"("verbs":["get","list","watch"]},)"
      R"({"apiGroups":["multicluster.x-k8s.io"],)"
      R"("resources":["serviceexports/status","serviceimports","serviceimports/status"],)"
      R"("verbs":["get","list","watch","create","update","patch","delete"]})");
  const std::string all_rule = R"({"apiGroups":["*"],"resources":["*"],"verbs":["*"]})";
  // Without its brackets, so it can be joined with the health rule.
  const std::string granted = options.member_rbac == MemberRbac::kAll
                                  ? all_rule
                                  : type_rules.substr(1, type_rules.size() - 2);
  const std::string cluster_rules =
      namespaced || granted.empty() ? health_rule : absl::StrCat(granted, ",", health_rule);
  const std::string subjects = absl::StrCat(R"("subjects":[{"kind":"ServiceAccount","name":)",
                                            Quote(sa), R"(,"namespace":)", Quote(ns), "}]");
  RETURN_IF_ERROR(
      EnsureObject(
          member, member_label, ClusterRolesResource(), "",
          MustParse(absl::StrCat(
              R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",)",
              R"("metadata":{"name":)", Quote(role), R"(},"rules":[)", cluster_rules, "]}")),
          ExistingPolicy::kUpdate, options.dry_run, out, &created)
          .status());
  RETURN_IF_ERROR(
      EnsureObject(
          member, member_label, ClusterRoleBindingsResource(), "",
          MustParse(absl::StrCat(
              R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",)",
              R"("metadata":{"name":)", Quote(role), R"(},)",
              R"("roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":)",
              Quote(role), "},", subjects, "}")),
          ExistingPolicy::kUpdate, options.dry_run, out, &created)
          .status());
  if (namespaced) {
    RETURN_IF_ERROR(
        EnsureObject(
            member, member_label, RolesResource(), ns,
            MustParse(absl::StrCat(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",)",
                                   R"("metadata":{"name":)", Quote(role), R"(,"namespace":)",
                                   Quote(ns), R"(},"rules":[)", granted, "]}")),
            ExistingPolicy::kUpdate, options.dry_run, out, &created)
            .status());
    RETURN_IF_ERROR(
        EnsureObject(
            member, member_label, RoleBindingsResource(), ns,
            MustParse(absl::StrCat(
                R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",)",
                R"("metadata":{"name":)", Quote(role), R"(,"namespace":)", Quote(ns), R"(},)",
                R"("roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":)",
                Quote(role), "},", subjects, "}")),
            ExistingPolicy::kUpdate, options.dry_run, out, &created)
            .status());
  }
  RETURN_IF_ERROR(
      EnsureObject(
          member, member_label, kube::SecretsResource(), ns,
          MustParse(absl::StrCat(
              R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token",)",
              R"("metadata":{"name":)", Quote(token_secret), R"(,"namespace":)", Quote(ns),
              R"(,"annotations":{"kubernetes.io/service-account.name":)", Quote(sa), "}}}")),
          ExistingPolicy::kKeep, options.dry_run, out, &created)
          .status());

  std::string token = "<token>";
  std::string secret_ca;
  if (!options.dry_run) {
    ASSIGN_OR_RETURN(token, WaitForToken(member, member_label, ns, token_secret,
                                         options.token_timeout, out, &secret_ca));
  }
  const std::string ca_bundle =
      endpoint.ca_pem.empty() ? secret_ca : absl::Base64Escape(endpoint.ca_pem);

  // Host side.
  RETURN_IF_ERROR(EnsureObject(host, host_label, kube::SecretsResource(), ns,
                               MustParse(absl::StrCat(
                                   R"({"apiVersion":"v1","kind":"Secret","type":"Opaque",)",
                                   R"("metadata":{"name":)", Quote(host_secret), R"(,"namespace":)",
                                   Quote(ns), R"(},"data":{"token":)", Quote(token), "}}")),
                               ExistingPolicy::kUpdate, options.dry_run, out, &created)
                      .status());
  std::string spec = absl::StrCat(R"({"apiEndpoint":)", Quote(endpoint.api_endpoint),
                                  R"(,"secretRef":{"name":)", Quote(host_secret), "}");
  if (!ca_bundle.empty()) absl::StrAppend(&spec, R"(,"caBundle":)", Quote(ca_bundle));
  if (!endpoint.proxy_url.empty()) {
    absl::StrAppend(&spec, R"(,"proxyURL":)", Quote(endpoint.proxy_url));
  }
  absl::StrAppend(&spec, "}");
  rapidjson::Document cluster = MustParse(
      absl::StrCat(R"({"apiVersion":)", Quote(ft::kCoreV1Beta1), R"(,"kind":"KubeFedCluster",)",
                   R"("metadata":{"name":)", Quote(options.cluster_name), R"(,"namespace":)",
                   Quote(ns), R"(,"annotations":{)", Quote(kClusterIdAnnotation), ":",
                   Quote(cluster_id), ",", Quote(kServiceAccountAnnotation), ":",
                   Quote(absl::StrCat(ns, "/", sa)), R"(}},"spec":)", spec, "}"));
  if (existing.ok()) {
    // Keep labels and other annotations someone put on it.
    auto& alloc = cluster.GetAllocator();
    rapidjson::Value& meta = cluster["metadata"];
    if (const rapidjson::Value* labels = json::FindPath(**existing, {"metadata", "labels"})) {
      json::Set(meta, "labels", *labels, alloc);
    }
    if (const rapidjson::Value* annotations =
            json::FindPath(**existing, {"metadata", "annotations"})) {
      if (annotations->IsObject()) {
        for (auto it = annotations->MemberBegin(); it != annotations->MemberEnd(); ++it) {
          if (!meta["annotations"].HasMember(it->name)) {
            json::Set(meta["annotations"], it->name.GetString(), it->value, alloc);
          }
        }
      }
    }
  }
  RETURN_IF_ERROR(EnsureObject(host, host_label, KubeFedClustersResource(), ns, cluster,
                               ExistingPolicy::kUpdate, options.dry_run, out, &created)
                      .status());
  return absl::OkStatus();
}

}  // namespace

absl::Status Join(kube::Client& host, kube::Client& member, const MemberEndpoint& endpoint,
                  const JoinOptions& options, std::ostream& out) {
  if (options.cluster_name.empty()) {
    return absl::InvalidArgumentError("join needs the cluster NAME");
  }
  if (options.host_cluster_name.empty()) {
    return absl::InvalidArgumentError("join needs --host-cluster-name");
  }
  std::vector<CreatedObject> created;
  absl::Status status = JoinSteps(host, member, endpoint, options, out, created);
  if (!status.ok()) {
    Rollback(created, out);
    return status;
  }
  out << (options.dry_run ? "would join " : "joined ") << options.cluster_name << " ("
      << endpoint.api_endpoint << ")\n";
  return absl::OkStatus();
}

void AddJoinCommand(CLI::App& app, CommandEnv& env) {
  struct Flags {
    JoinOptions join;
    std::string context;  // --cluster-context
    double token_timeout_seconds = 60;
    std::string member_rbac = "types";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "join",
      "Register a member cluster with the federation: a ServiceAccount with a token and RBAC "
      "in the member, a Secret and a KubeFedCluster in the host. Safe to run twice.\n\n"
      "Example:\n  kfedctl --host-cluster-context host join member1 --cluster-context member1");
  cmd->add_option("NAME", flags->join.cluster_name, "The name of the KubeFedCluster")->required();
  cmd->add_option("--cluster-context", flags->context,
                  "The kubeconfig context of the member (default: NAME)");
  cmd->add_option("--host-cluster-name", flags->join.host_cluster_name,
                  "The host's name, used to name the member's ServiceAccount "
                  "(default: the host context)");
  cmd->add_option("--secret-name", flags->join.secret_name,
                  "The host Secret holding the member's token (default: NAME-secret)");
  cmd->add_flag("--error-on-existing", flags->join.error_on_existing,
                "Fail if the KubeFedCluster already exists instead of updating it");
  cmd->add_option("--member-rbac", flags->member_rbac,
                  "What the member grants the controller: \"types\" (the target types of the "
                  "host's FederatedTypeConfigs: run join again after enabling another type) or "
                  "\"all\" (every verb on every resource, as KubeFed did)")
      ->check(CLI::IsMember({"types", "all"}))
      ->capture_default_str();
  cmd->add_option("--token-timeout", flags->token_timeout_seconds,
                  "Seconds to wait for the member's token controller")
      ->capture_default_str();
  OnRun(*cmd, env, [&env, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(HostClient host, ConnectHost(env.global));
    JoinOptions& join = flags->join;
    const std::string& context = flags->context.empty() ? join.cluster_name : flags->context;
    if (join.host_cluster_name.empty()) join.host_cluster_name = host.context;
    join.kubefed_namespace = env.global.kubefed_namespace;
    join.dry_run = env.global.dry_run;
    join.token_timeout = absl::Seconds(flags->token_timeout_seconds);
    join.member_rbac = flags->member_rbac == "all" ? MemberRbac::kAll : MemberRbac::kTypes;
    absl::StatusOr<kube::RestConfig> member_config = LoadContext(env.global, context);
    if (!member_config.ok()) return Annotate(member_config.status(), "member cluster");
    absl::StatusOr<std::unique_ptr<kube::Client>> member = ClientForConfig(*member_config);
    if (!member.ok()) return Annotate(member.status(), "member cluster");
    const MemberEndpoint endpoint{member_config->server, member_config->ca_data,
                                  member_config->proxy_url};
    return Join(*host.client, **member, endpoint, join, std::cout);
  });
}

}  // namespace kfed::cli
