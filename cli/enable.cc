#include "cli/enable.h"

#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "base/yaml_json.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/types.h"
#include "federated_types/crds/crdgen.h"
#include "federated_types/keys.h"
#include "kube/errors.h"

namespace kfed::cli {

namespace ft = ::kfed::federated_types;

namespace {

absl::Status WaitEstablished(kube::Client& host, const std::string& name, absl::Duration timeout,
                             std::ostream& out) {
  const absl::Time deadline = absl::Now() + timeout;
  bool announced = false;
  while (true) {
    absl::StatusOr<kube::ObjectPtr> crd =
        host.Get(kube::CustomResourceDefinitionsResource(), "", name);
    if (!crd.ok() && !kube::IsNotFound(crd.status())) return Explain(crd.status(), "host");
    if (crd.ok()) {
      const rapidjson::Value* conditions = json::FindPath(**crd, {"status", "conditions"});
      if (conditions != nullptr && conditions->IsArray()) {
        for (const rapidjson::Value& c : conditions->GetArray()) {
          if (json::GetString(c, "type") == "Established" &&
              json::GetString(c, "status") == "True") {
            return absl::OkStatus();
          }
        }
      }
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("host: CustomResourceDefinition ", name, " is not Established after ",
                       absl::FormatDuration(timeout), " (see `kubectl describe crd ", name, "`)"));
    }
    if (!announced) {
      out << "host: waiting for CustomResourceDefinition " << name << " to be established\n";
      announced = true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

absl::Status WaitGone(kube::Client& host, const kube::GroupVersionResource& gvr,
                      const std::string& ns, const std::string& name, absl::Duration timeout,
                      absl::string_view hint, std::ostream& out) {
  const absl::Time deadline = absl::Now() + timeout;
  bool announced = false;
  while (true) {
    absl::StatusOr<kube::ObjectPtr> got = host.Get(gvr, ns, name);
    if (kube::IsNotFound(got.status())) return absl::OkStatus();
    if (!got.ok()) return Explain(got.status(), "host");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("host: ", gvr.kind, " ", name,
                                                      " is still there after ",
                                                      absl::FormatDuration(timeout), hint));
    }
    if (!announced) {
      out << "host: waiting for " << gvr.kind << " " << name << " to be deleted\n";
      announced = true;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

// Moves the generated CRD and FTC to another federated group/version.
void Regroup(rapidjson::Document& crd, rapidjson::Document& ftc, const std::string& group,
             const std::string& version) {
  auto& ca = crd.GetAllocator();
  const std::string plural = json::GetString(crd["spec"]["names"], "plural");
  json::SetString(crd["metadata"], "name", absl::StrCat(plural, ".", group), ca);
  json::SetString(crd["spec"], "group", group, ca);
  json::SetString(crd["spec"]["versions"][0], "name", version, ca);
  auto& fa = ftc.GetAllocator();
  json::SetString(ftc["spec"]["federatedType"], "group", group, fa);
  json::SetString(ftc["spec"]["federatedType"], "version", version, fa);
}

}  // namespace

absl::Status Enable(kube::Client& host, kube::Discovery& discovery, const EnableOptions& options,
                    std::ostream& out) {
  if (options.federated_group.find('.') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--federated-group ", options.federated_group,
                                                   ": the group must contain a dot"));
  }
  ft::TargetType target;
  ft::TemplateSchema schema;
  if (!options.crd_yaml.empty()) {
    ASSIGN_OR_RETURN(rapidjson::Document crd, yaml::ParseYaml(options.crd_yaml));
    if (json::GetString(crd, "kind") != "CustomResourceDefinition") {
      return absl::InvalidArgumentError(
          "-f: the file must hold one CustomResourceDefinition (apiextensions.k8s.io/v1)");
    }
    ASSIGN_OR_RETURN(target, ft::TargetTypeFromCrd(crd, ""));
    ASSIGN_OR_RETURN(schema, ft::TemplateSchemaFromCrd(crd, target));
  } else {
    absl::StatusOr<std::vector<kube::ApiResource>> resources = discovery.Resources();
    if (!resources.ok()) return Explain(resources.status(), "host");
    if (!options.target_version.empty()) {
      // kubefedctl's --version: only that version of the type.
      std::vector<kube::ApiResource> at_version;
      for (const kube::ApiResource& r : *resources) {
        if (r.gvr.version == options.target_version) at_version.push_back(r);
      }
      absl::StatusOr<kube::ApiResource> found = ResolveType(at_version, options.type);
      if (!found.ok()) {
        absl::StatusOr<kube::ApiResource> any = ResolveType(*resources, options.type);
        if (!any.ok()) return any.status();
        return absl::InvalidArgumentError(
            absl::StrCat("type ", options.type, " has no version ", options.target_version,
                         " on the host (it serves ", any->gvr.group.empty() ? "" : any->gvr.group + "/",
                         any->gvr.version, "); drop --version or name a served one"));
      }
      *resources = std::move(at_version);
    }
    ASSIGN_OR_RETURN(kube::ApiResource resource, ResolveType(*resources, options.type));
    if (resource.gvr.group == ft::kTypesGroup || resource.gvr.group == ft::kCoreGroup ||
        resource.gvr.group == options.federated_group) {
      return absl::InvalidArgumentError(
          absl::StrCat("type ", options.type, " is a kfed type itself (", resource.gvr.String(),
                       "); name the Kubernetes type to federate, e.g. deployments.apps"));
    }
    target = TargetTypeOf(resource);
    absl::StatusOr<kube::ObjectPtr> crd =
        target.group.empty() ? absl::StatusOr<kube::ObjectPtr>(absl::NotFoundError(""))
                             : host.Get(kube::CustomResourceDefinitionsResource(), "",
                                        absl::StrCat(target.plural, ".", target.group));
    if (crd.ok()) {
      ASSIGN_OR_RETURN(schema, ft::TemplateSchemaFromCrd(**crd, target));
    } else if (kube::IsNotFound(crd.status())) {
      const std::string path =
          target.group.empty()
              ? "/openapi/v3/api/v1"
              : absl::StrCat("/openapi/v3/apis/", target.group, "/", target.version);
      absl::StatusOr<std::string> body = host.GetRaw(path);
      if (!body.ok()) return Explain(body.status(), absl::StrCat("host: GET ", path));
      ASSIGN_OR_RETURN(rapidjson::Document openapi, json::Parse(*body));
      ASSIGN_OR_RETURN(schema, ft::TemplateSchemaFromOpenApi(openapi, target));
    } else {
      return Explain(crd.status(), "host");
    }
  }
  rapidjson::Document crd = ft::FederatedCrd(target, schema.schema);
  rapidjson::Document ftc = ft::FederatedTypeConfig(target);
  Regroup(crd, ftc, options.federated_group, options.federated_version);
  json::SetString(json::EnsureObject(ftc, "metadata", ftc.GetAllocator()), "namespace",
                  options.kubefed_namespace, ftc.GetAllocator());
  if (options.output == "yaml") {
    out << yaml::ToYamlStream({&crd, &ftc});
    return absl::OkStatus();
  }
  if (!options.output.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("-o ", options.output, ": only yaml"));
  }
  const ft::SchemaStats& stats = schema.stats;
  if (stats.cycles + stats.depth_cuts + stats.budget_cuts + stats.unions > 0) {
    out << "note: parts of the " << target.kind
        << " schema accept any value in the template (recursive, too deep or unions: "
        << stats.cycles + stats.depth_cuts + stats.budget_cuts + stats.unions << " fields)\n";
  }
  const std::string crd_name = kube::Name(crd);
  RETURN_IF_ERROR(EnsureObject(host, "host", kube::CustomResourceDefinitionsResource(), "", crd,
                               ExistingPolicy::kUpdate, options.dry_run, out)
                      .status());
  if (!options.dry_run) RETURN_IF_ERROR(WaitEstablished(host, crd_name, options.timeout, out));
  RETURN_IF_ERROR(EnsureObject(host, "host", FederatedTypeConfigsResource(),
                               options.kubefed_namespace, ftc, ExistingPolicy::kUpdate,
                               options.dry_run, out)
                      .status());
  out << (options.dry_run ? "would enable " : "enabled ") << target.QualifiedName() << " ("
      << json::GetString(crd["spec"]["names"], "kind") << ")\n";
  return absl::OkStatus();
}

absl::Status Disable(kube::Client& host, kube::Discovery* discovery, const DisableOptions& options,
                     std::ostream& out) {
  ASSIGN_OR_RETURN(TypeInfo config,
                   FindTypeConfig(host, discovery, options.kubefed_namespace, options.type));
  if (!options.federated_group.empty() && options.federated_group != config.federated.group) {
    return absl::InvalidArgumentError(absl::StrCat(
        "FederatedTypeConfig ", config.name, " federates into group ", config.federated.group,
        ", not ", options.federated_group, " (--federated-group)"));
  }
  if (!options.target_version.empty() && options.target_version != config.target.version) {
    return absl::InvalidArgumentError(absl::StrCat("FederatedTypeConfig ", config.name,
                                                   " targets version ", config.target.version,
                                                   ", not ", options.target_version,
                                                   " (--version)"));
  }
  const kube::GroupVersionResource& federated = config.federated;
  absl::StatusOr<kube::ObjectList> instances = host.List(federated, "", kube::ListOptions{});
  if (!instances.ok() && !kube::IsNotFound(instances.status())) {
    return Explain(instances.status(), "host");
  }
  if (instances.ok() && !instances->items.empty()) {
    std::vector<std::string> names;
    for (const kube::ObjectPtr& o : instances->items) {
      if (names.size() == 5) {
        names.push_back("...");
        break;
      }
      names.push_back(kube::ObjectKeyOf(*o));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot disable ", config.name, ": ", instances->items.size(), " ", federated.kind,
        " objects still exist (", absl::StrJoin(names, ", "),
        "); delete them first (`kfedctl orphaning-deletion enable` keeps their copies in the "
        "members)"));
  }
  ASSIGN_OR_RETURN(bool was,
                   DeleteIfPresent(host, "host", FederatedTypeConfigsResource(),
                                   options.kubefed_namespace, config.name, options.dry_run, out));
  if (was && !options.dry_run) {
    RETURN_IF_ERROR(WaitGone(host, FederatedTypeConfigsResource(), options.kubefed_namespace,
                             config.name, options.timeout,
                             " (the controller removes its finalizer: is kfed-controller-manager "
                             "running?)",
                             out));
  }
  if (options.delete_crd) {
    const std::string crd = absl::StrCat(federated.resource, ".", federated.group);
    ASSIGN_OR_RETURN(bool crd_was,
                     DeleteIfPresent(host, "host", kube::CustomResourceDefinitionsResource(), "",
                                     crd, options.dry_run, out));
    if (crd_was && !options.dry_run) {
      RETURN_IF_ERROR(WaitGone(host, kube::CustomResourceDefinitionsResource(), "", crd,
                               options.timeout, "", out));
    }
  }
  out << (options.dry_run ? "would disable " : "disabled ") << config.name << "\n";
  return absl::OkStatus();
}

void AddEnableCommand(CLI::App& app, CommandEnv& env) {
  struct Flags {
    EnableOptions enable;
    std::string file;  // -f
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "enable",
      "Enable federation of an API type: generates the Federated<Kind> CRD from the host's "
      "OpenAPI schema (or the type's CRD) and applies it with a FederatedTypeConfig.\n\n"
      "Examples:\n  kfedctl enable statefulsets.apps\n  kfedctl enable widgets.example.com\n"
      "  kfedctl enable -f widget-crd.yaml -o yaml");
  EnableOptions& enable = flags->enable;
  cmd->add_option("TYPE", enable.type,
                  "The type: plural[.group], kind or short name (deployments.apps)");
  cmd->add_option("-f,--filename", flags->file,
                  "A file holding the CustomResourceDefinition of the type; - for "
                  "standard input");
  cmd->add_option("--federated-group", enable.federated_group, "The federated API group")
      ->capture_default_str();
  cmd->add_option("--federated-version", enable.federated_version, "The federated API version")
      ->capture_default_str();
  cmd->add_option("--version", enable.target_version,
                  "The API version of the type to federate (default: the host's preferred "
                  "one)");
  cmd->add_option("-o,--output", enable.output,
                  "yaml: print the CRD and FederatedTypeConfig instead of applying them")
      ->check(CLI::IsMember({"yaml"}));
  OnRun(*cmd, env, [&env, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(HostClient host, ConnectHost(env.global));
    kube::Discovery discovery(*host.client);
    EnableOptions& enable = flags->enable;
    if (enable.type.empty() == flags->file.empty()) {
      return absl::InvalidArgumentError("enable needs a TYPE or -f FILE (one of them)");
    }
    if (!flags->file.empty()) {
      ASSIGN_OR_RETURN(enable.crd_yaml, ReadFileOrStdin(flags->file));
    }
    enable.kubefed_namespace = env.global.kubefed_namespace;
    enable.dry_run = env.global.dry_run;
    return Enable(*host.client, discovery, enable, std::cout);
  });
}

void AddDisableCommand(CLI::App& app, CommandEnv& env) {
  auto disable = std::make_shared<DisableOptions>();
  CLI::App* cmd = app.add_subcommand(
      "disable",
      "Disable federation of an API type: deletes its FederatedTypeConfig (refused while "
      "federated objects of the type exist).\n\nExample:\n  kfedctl disable statefulsets.apps "
      "--delete-crd");
  cmd->add_option("TYPE", disable->type, "The type or FederatedTypeConfig name")->required();
  cmd->add_flag("--delete-crd", disable->delete_crd, "Also delete the Federated<Kind> CRD");
  cmd->add_option("--federated-group", disable->federated_group,
                  "The federated API group the type must be federated into (kubefedctl's "
                  "flag: checked against the FederatedTypeConfig)");
  cmd->add_option("--version", disable->target_version,
                  "The API version the type must be federated at (checked likewise)");
  OnRun(*cmd, env, [&env, disable]() -> absl::Status {
    ASSIGN_OR_RETURN(HostClient host, ConnectHost(env.global));
    kube::Discovery discovery(*host.client);
    disable->kubefed_namespace = env.global.kubefed_namespace;
    disable->dry_run = env.global.dry_run;
    return Disable(*host.client, &discovery, *disable, std::cout);
  });
}

}  // namespace kfed::cli
