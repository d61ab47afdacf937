#include "cli/federate.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/enable.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace {

constexpr absl::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

bool Skipped(const TypeInfo& type, const rapidjson::Value& object) {
  const std::string name = kube::Name(object);
  if (type.name == "serviceaccounts" && name == "default") return true;
  if (type.name == "configmaps" && name == "kube-root-ca.crt") return true;
  if (type.name == "secrets" &&
      json::GetString(object, "type") == "kubernetes.io/service-account-token") {
    return true;
  }
  const rapidjson::Value* owners = json::FindPath(object, {"metadata", "ownerReferences"});
  return owners != nullptr && owners->IsArray() && !owners->Empty();
}

}  // namespace

rapidjson::Document TemplateFor(const TypeInfo& type, const rapidjson::Value& target) {
  rapidjson::Document t = json::Clone(target);
  auto& a = t.GetAllocator();
  json::Remove(t, "apiVersion");
  json::Remove(t, "kind");
  json::Remove(t, "status");
  if (rapidjson::Value* meta = json::FindMutable(t, "metadata")) {
    for (const char* f :
         {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
          "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink",
          "ownerReferences", "finalizers", "generateName"}) {
      json::Remove(*meta, f);
    }
    if (rapidjson::Value* annotations = json::FindMutable(*meta, "annotations")) {
      json::Remove(*annotations, kLastApplied);
      if (annotations->IsObject() && annotations->ObjectEmpty()) json::Remove(*meta, "annotations");
    }
    if (meta->IsObject() && meta->ObjectEmpty()) json::Remove(t, "metadata");
  }
  const std::string& kind = type.target.kind;
  rapidjson::Value* spec = json::FindMutable(t, "spec");
  if (kind == "Service" && spec != nullptr) {
    json::Remove(*spec, "clusterIP");
    json::Remove(*spec, "clusterIPs");
    json::Remove(*spec, "healthCheckNodePort");
    if (rapidjson::Value* ports = json::FindMutable(*spec, "ports"); ports && ports->IsArray()) {
      for (rapidjson::Value& p : ports->GetArray()) json::Remove(p, "nodePort");
    }
  }
  if (kind == "ServiceAccount") json::Remove(t, "secrets");
  if (kind == "Namespace" && spec != nullptr) {
    json::Remove(*spec, "finalizers");
    if (spec->IsObject() && spec->ObjectEmpty()) json::Remove(t, "spec");
  }
  (void)a;
  return t;
}

rapidjson::Document FederatedObjectFor(const TypeInfo& type, const rapidjson::Value& target) {
  rapidjson::Document fed(rapidjson::kObjectType);
  auto& a = fed.GetAllocator();
  json::SetString(fed, "apiVersion", type.federated.ApiVersion(), a);
  json::SetString(fed, "kind", type.federated.kind, a);
  auto [ns, name] = FederatedName(type, kube::Namespace(target), kube::Name(target));
  rapidjson::Value& meta = json::EnsureObject(fed, "metadata", a);
  json::SetString(meta, "name", name, a);
  if (type.federated.namespaced) json::SetString(meta, "namespace", ns, a);
  rapidjson::Value& spec = json::EnsureObject(fed, "spec", a);
  json::Set(spec, "template", TemplateFor(type, target), a);
  rapidjson::Value& placement = json::EnsureObject(spec, "placement", a);
  json::EnsureObject(placement, "clusterSelector", a);
  return fed;
}

namespace {

const TypeInfo* FindByTarget(const std::vector<TypeInfo>& types, absl::string_view group,
                             absl::string_view kind) {
  for (const TypeInfo& t : types) {
    if (t.target.group == group && t.target.kind == kind) return &t;
  }
  return nullptr;
}

}  // namespace

absl::Status Federate(kube::Client& host, kube::Discovery& discovery,
                      const FederateOptions& options, std::ostream& out) {
  if (!options.output.empty() && options.output != "yaml") {
    return absl::InvalidArgumentError(absl::StrCat("-o ", options.output, ": only yaml"));
  }
  // (type, target object) pairs to federate, in order.
  std::vector<std::pair<TypeInfo, kube::ObjectPtr>> work;
  ASSIGN_OR_RETURN(std::vector<TypeInfo> types, ListTypeInfos(host, options.kubefed_namespace));

  if (!options.file_yaml.empty()) {
    ASSIGN_OR_RETURN(std::vector<rapidjson::Document> docs,
                     yaml::ParseYamlStream(options.file_yaml));
    for (rapidjson::Document& d : docs) {
      const std::string api_version = json::GetString(d, "apiVersion");
      const std::string kind = json::GetString(d, "kind");
      const size_t slash = api_version.find('/');
      const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
      const TypeInfo* type = FindByTarget(types, group, kind);
      if (type == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("-f: type ", kind, " (", api_version, ") of ", kube::Name(d),
                         " is not enabled: run `kfedctl enable` for it first"));
      }
      if (type->target.namespaced && kube::Namespace(d).empty()) {
        json::SetString(json::EnsureObject(d, "metadata", d.GetAllocator()), "namespace",
                        options.ns.empty() ? "default" : options.ns, d.GetAllocator());
      }
      work.emplace_back(*type, kube::CopyObject(d));
    }
  } else {
    if (options.type.empty() || options.name.empty()) {
      return absl::InvalidArgumentError("federate needs TYPE and NAME (or -f FILE)");
    }
    absl::StatusOr<TypeInfo> type =
        FindTypeConfig(host, &discovery, options.kubefed_namespace, options.type);
    if (absl::IsNotFound(type.status()) && options.enable_type) {
      EnableOptions enable;
      enable.type = options.type;
      enable.kubefed_namespace = options.kubefed_namespace;
      enable.dry_run = options.dry_run;
      RETURN_IF_ERROR(Enable(host, discovery, enable, out));
      type = FindTypeConfig(host, &discovery, options.kubefed_namespace, options.type);
    }
    if (!type.ok()) {
      if (absl::IsNotFound(type.status())) {
        return absl::NotFoundError(absl::StrCat(type.status().message(), " or pass --enable-type"));
      }
      return type.status();
    }
    if (options.contents && !type->IsNamespace()) {
      return absl::InvalidArgumentError("--contents only applies to namespaces");
    }
    const std::string ns = type->target.namespaced ? options.ns : "";
    if (type->target.namespaced && ns.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(type->name, " is namespaced: pass -n NAMESPACE"));
    }
    absl::StatusOr<kube::ObjectPtr> target = host.Get(type->target, ns, options.name);
    if (!target.ok()) {
      if (kube::IsNotFound(target.status())) {
        return absl::NotFoundError(absl::StrCat(
            "host: ", type->target.kind, " ", ns.empty() ? "" : absl::StrCat(ns, "/"), options.name,
            " not found (federate turns an existing object into a federated "
            "one; use -f FILE for objects that do not exist yet)"));
      }
      return Explain(target.status(), "host");
    }
    work.emplace_back(*type, *target);
    if (options.contents) {
      for (const TypeInfo& t : types) {
        if (t.IsNamespace() || !t.target.namespaced) continue;
        bool skip = false;
        for (const std::string& s : options.skip_api_resources) {
          if (s == t.name || s == t.target.resource) skip = true;
        }
        if (skip) continue;
        absl::StatusOr<kube::ObjectList> list =
            host.List(t.target, options.name, kube::ListOptions{});
        if (!list.ok()) {
          out << "warning: cannot list " << t.name << " in " << options.name << ": "
              << list.status().message() << "; skipped\n";
          continue;
        }
        for (const kube::ObjectPtr& o : list->items) {
          if (!Skipped(t, *o)) work.emplace_back(t, o);
        }
      }
    }
  }

  std::vector<rapidjson::Document> federated;
  federated.reserve(work.size());
  for (const auto& [type, target] : work) federated.push_back(FederatedObjectFor(type, *target));
  if (options.output == "yaml") {
    std::vector<const rapidjson::Value*> docs;
    for (const rapidjson::Document& d : federated) docs.push_back(&d);
    out << yaml::ToYamlStream(docs);
    return absl::OkStatus();
  }
  for (size_t i = 0; i < work.size(); ++i) {
    const TypeInfo& type = work[i].first;
    RETURN_IF_ERROR(EnsureObject(host, "host", type.federated, kube::Namespace(federated[i]),
                                 federated[i], ExistingPolicy::kKeep, options.dry_run, out)
                        .status());
  }
  out << (options.dry_run ? "would federate " : "federated ") << work.size()
      << (work.size() == 1 ? " object\n" : " objects\n");
  return absl::OkStatus();
}

void AddFederateCommand(CLI::App& app, CommandEnv& env) {
  struct Flags {
    FederateOptions federate;
    std::string file;  // -f
  };
  auto flags = std::make_shared<Flags>();
  FederateOptions& federate = flags->federate;
  CLI::App* cmd = app.add_subcommand(
      "federate",
      "Turn existing resources into federated ones placed on all clusters (server-owned "
      "fields stripped).\n\nExamples:\n  kfedctl federate namespaces my-ns --contents\n"
      "  kfedctl federate configmaps my-config -n my-ns\n  kfedctl federate -f objects.yaml "
      "-o yaml");
  cmd->add_option("TYPE", federate.type, "The type (configmaps, deployments.apps, ...)");
  cmd->add_option("NAME", federate.name, "The object's name");
  cmd->add_option("-n,--namespace", federate.ns,
                  "The object's namespace (default: the host context's namespace)");
  cmd->add_flag("-c,--contents", federate.contents,
                "For a namespace: also federate every object of an enabled type in it");
  cmd->add_option("-f,--filename", flags->file,
                  "A YAML file of objects to federate (they need not exist); - for "
                  "standard input");
  cmd->add_option("-o,--output", federate.output,
                  "yaml: print the federated objects instead of creating them")
      ->check(CLI::IsMember({"yaml"}));
  cmd->add_flag("-t,--enable-type", federate.enable_type,
                "Enable TYPE first when it is not enabled");
  cmd->add_option("-s,--skip-api-resources", federate.skip_api_resources,
                  "With --contents: types to leave out (configmaps,secrets)")
      ->delimiter(',');
  OnRun(*cmd, env, [&env, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(HostClient host, ConnectHost(env.global));
    kube::Discovery discovery(*host.client);
    FederateOptions& federate = flags->federate;
    if (!flags->file.empty()) {
      ASSIGN_OR_RETURN(federate.file_yaml, ReadFileOrStdin(flags->file));
    }
    // As kubefedctl: without -n, the host context's namespace.
    if (federate.ns.empty()) federate.ns = host.default_namespace;
    federate.kubefed_namespace = env.global.kubefed_namespace;
    federate.dry_run = env.global.dry_run;
    return Federate(*host.client, discovery, federate, std::cout);
  });
}

}  // namespace kfed::cli
