// kfedctl: KubeFed's kubefedctl commands and flags for kfed, plus `status`.
// Flags are parsed here; each command's logic lives in its own library (join.h, ...).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "cli/bearer_token.h"
#include "cli/common.h"
#include "cli/completion.h"
#include "cli/dashboard.h"
#include "cli/enable.h"
#include "cli/federate.h"
#include "cli/join.h"
#include "cli/orphaning.h"
#include "cli/status.h"
#include "cli/unjoin.h"
#include "kube/discovery.h"

namespace {

using kfed::cli::GlobalOptions;

constexpr char kExitCodes[] =
    "\nExit codes: 0 success; 1 the operation failed; 2 bad usage, unknown context or type; "
    "3 a cluster could not be reached.";

int Fail(const absl::Status& status) {
  if (status.ok()) return kfed::cli::kExitOk;
  std::cerr << "error: " << status.message() << std::endl;
  return kfed::cli::ExitCodeFor(status);
}

struct HostClient {
  std::string context;
  std::string default_namespace;  // the context's namespace ("default" when it names none)
  std::unique_ptr<kfed::kube::Client> client;
};

// A file's content; "-" reads standard input (kubefedctl's `-f -`).
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  if (path == "-") {
    std::stringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> FlagNames(const CLI::App& app) {
  std::vector<std::string> flags;
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& n : o->get_lnames()) {
      if (n != "help") flags.push_back("--" + n);
    }
  }
  return flags;
}

absl::StatusOr<HostClient> ConnectHost(const GlobalOptions& global) {
  HostClient host;
  absl::StatusOr<std::string> context = kfed::cli::ResolveContext(global, global.host_context);
  if (!context.ok()) return context.status();
  host.context = *context;
  absl::StatusOr<kfed::kube::RestConfig> config = kfed::cli::LoadContext(global, host.context);
  if (!config.ok()) return kfed::Annotate(config.status(), "host cluster");
  host.default_namespace = config->default_namespace.empty() ? "default" : config->default_namespace;
  absl::StatusOr<std::unique_ptr<kfed::kube::Client>> client = kfed::cli::ClientForConfig(*config);
  if (!client.ok()) return kfed::Annotate(client.status(), "host cluster");
  host.client = std::move(*client);
  return host;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "kfedctl: manages a kfed (KubeFed v0.10 compatible) federation: joins member clusters, "
      "enables types, federates resources and shows their propagation status.\n\nExample:\n"
      "  kfedctl --host-cluster-context host join member1 --cluster-context member1"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  // Global flags may follow the subcommand, as with kubefedctl (cobra's persistent flags):
  // `kfedctl join c1 --cluster-context c1 --host-cluster-context host --v=2`. Subcommands
  // inherit this when added.
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--kubeconfig", global.kubeconfig,
                 "Path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)");
  app.add_option("--host-cluster-context", global.host_context,
                 "The kubeconfig context of the host cluster (default: current-context)");
  app.add_option("--kubefed-namespace", global.kubefed_namespace,
                 "The namespace kfed runs in, holding KubeFedClusters and FederatedTypeConfigs")
      ->capture_default_str();
  app.add_flag("--dry-run", global.dry_run, "Show what would be done; write nothing");
  app.add_option("-v,--v", global.verbosity, "Log verbosity (0 quiet .. 4)");

  // version
  CLI::App* version =
      app.add_subcommand("version", "Print kfedctl's version\n\nExample:\n  kfedctl version");
  version->callback([] { std::cout << "kfedctl version " << kfed::cli::VersionString() << "\n"; });

  // join
  kfed::cli::JoinOptions join;
  std::string join_context;
  double token_timeout_seconds = 60;
  CLI::App* join_cmd = app.add_subcommand(
      "join",
      "Register a member cluster with the federation: a ServiceAccount with a token and RBAC "
      "in the member, a Secret and a KubeFedCluster in the host. Safe to run twice.\n\n"
      "Example:\n  kfedctl --host-cluster-context host join member1 --cluster-context member1");
  join_cmd->add_option("NAME", join.cluster_name, "The name of the KubeFedCluster")->required();
  join_cmd->add_option("--cluster-context", join_context,
                       "The kubeconfig context of the member (default: NAME)");
  join_cmd->add_option("--host-cluster-name", join.host_cluster_name,
                       "The host's name, used to name the member's ServiceAccount "
                       "(default: the host context)");
  join_cmd->add_option("--secret-name", join.secret_name,
                       "The host Secret holding the member's token (default: NAME-secret)");
  join_cmd->add_flag("--error-on-existing", join.error_on_existing,
                     "Fail if the KubeFedCluster already exists instead of updating it");
  std::string member_rbac = "types";
  join_cmd
      ->add_option("--member-rbac", member_rbac,
                   "What the member grants the controller: \"types\" (the target types of the "
                   "host's FederatedTypeConfigs: run join again after enabling another type) or "
                   "\"all\" (every verb on every resource, as KubeFed did)")
      ->check(CLI::IsMember({"types", "all"}))
      ->capture_default_str();
  join_cmd
      ->add_option("--token-timeout", token_timeout_seconds,
                   "Seconds to wait for the member's token controller")
      ->capture_default_str();

  // unjoin
  kfed::cli::UnjoinOptions unjoin;
  std::string unjoin_context;
  CLI::App* unjoin_cmd = app.add_subcommand(
      "unjoin",
      "Remove a member cluster: what join created in the member, then the KubeFedCluster and "
      "its Secret in the host.\n\nExample:\n  kfedctl --host-cluster-context host unjoin member1 "
      "--cluster-context member1");
  unjoin_cmd->add_option("NAME", unjoin.cluster_name, "The name of the KubeFedCluster")->required();
  unjoin_cmd->add_option("--cluster-context", unjoin_context,
                         "The kubeconfig context of the member (default: NAME)");
  unjoin_cmd->add_option("--host-cluster-name", unjoin.host_cluster_name,
                         "The host's name given to join (default: the host context)");
  unjoin_cmd->add_flag("--force", unjoin.force,
                       "Remove the host's records even when the member cannot be reached");

  // enable
  kfed::cli::EnableOptions enable;
  std::string enable_file;
  CLI::App* enable_cmd = app.add_subcommand(
      "enable",
      "Enable federation of an API type: generates the Federated<Kind> CRD from the host's "
      "OpenAPI schema (or the type's CRD) and applies it with a FederatedTypeConfig.\n\n"
      "Examples:\n  kfedctl enable statefulsets.apps\n  kfedctl enable widgets.example.com\n"
      "  kfedctl enable -f widget-crd.yaml -o yaml");
  enable_cmd->add_option("TYPE", enable.type,
                         "The type: plural[.group], kind or short name (deployments.apps)");
  enable_cmd->add_option("-f,--filename", enable_file,
                         "A file holding the CustomResourceDefinition of the type; - for "
                         "standard input");
  enable_cmd->add_option("--federated-group", enable.federated_group, "The federated API group")
      ->capture_default_str();
  enable_cmd
      ->add_option("--federated-version", enable.federated_version, "The federated API version")
      ->capture_default_str();
  enable_cmd->add_option("--version", enable.target_version,
                         "The API version of the type to federate (default: the host's preferred "
                         "one)");
  enable_cmd
      ->add_option("-o,--output", enable.output,
                   "yaml: print the CRD and FederatedTypeConfig instead of applying them")
      ->check(CLI::IsMember({"yaml"}));

  // disable
  kfed::cli::DisableOptions disable;
  CLI::App* disable_cmd = app.add_subcommand(
      "disable",
      "Disable federation of an API type: deletes its FederatedTypeConfig (refused while "
      "federated objects of the type exist).\n\nExample:\n  kfedctl disable statefulsets.apps "
      "--delete-crd");
  disable_cmd->add_option("TYPE", disable.type, "The type or FederatedTypeConfig name")->required();
  disable_cmd->add_flag("--delete-crd", disable.delete_crd, "Also delete the Federated<Kind> CRD");
  disable_cmd->add_option("--federated-group", disable.federated_group,
                          "The federated API group the type must be federated into (kubefedctl's "
                          "flag: checked against the FederatedTypeConfig)");
  disable_cmd->add_option("--version", disable.target_version,
                          "The API version the type must be federated at (checked likewise)");

  // federate
  kfed::cli::FederateOptions federate;
  std::string federate_file;
  CLI::App* federate_cmd = app.add_subcommand(
      "federate",
      "Turn existing resources into federated ones placed on all clusters (server-owned "
      "fields stripped).\n\nExamples:\n  kfedctl federate namespaces my-ns --contents\n"
      "  kfedctl federate configmaps my-config -n my-ns\n  kfedctl federate -f objects.yaml "
      "-o yaml");
  federate_cmd->add_option("TYPE", federate.type, "The type (configmaps, deployments.apps, ...)");
  federate_cmd->add_option("NAME", federate.name, "The object's name");
  federate_cmd->add_option("-n,--namespace", federate.ns,
                           "The object's namespace (default: the host context's namespace)");
  federate_cmd->add_flag("-c,--contents", federate.contents,
                         "For a namespace: also federate every object of an enabled type in it");
  federate_cmd->add_option("-f,--filename", federate_file,
                           "A YAML file of objects to federate (they need not exist); - for "
                           "standard input");
  federate_cmd
      ->add_option("-o,--output", federate.output,
                   "yaml: print the federated objects instead of creating them")
      ->check(CLI::IsMember({"yaml"}));
  federate_cmd->add_flag("-t,--enable-type", federate.enable_type,
                         "Enable TYPE first when it is not enabled");
  federate_cmd
      ->add_option("-s,--skip-api-resources", federate.skip_api_resources,
                   "With --contents: types to leave out (configmaps,secrets)")
      ->delimiter(',');

  // orphaning-deletion
  kfed::cli::OrphaningOptions orphaning;
  CLI::App* orphaning_cmd = app.add_subcommand(
      "orphaning-deletion",
      "Enable, disable or show orphaning deletion of a federated object: when enabled, "
      "deleting it leaves its copies in the member clusters.\n\nExample:\n  kfedctl "
      "orphaning-deletion enable configmaps my-config -n my-ns");
  orphaning_cmd->add_option("ACTION", orphaning.action, "enable, disable or status")
      ->required()
      ->check(CLI::IsMember({"enable", "disable", "status"}));
  orphaning_cmd->add_option("TYPE", orphaning.type, "The type")->required();
  orphaning_cmd->add_option("NAME", orphaning.name, "The object's name")->required();
  orphaning_cmd->add_option("-n,--namespace", orphaning.ns,
                            "The object's namespace (default: the host context's namespace)");

  // status
  kfed::cli::StatusOptions status;
  kfed::cli::TokenFlags status_token;
  CLI::App* status_cmd = app.add_subcommand(
      "status",
      "Show federated objects by member cluster: TYPE NAMESPACE NAME CLUSTER STATE REASON, from "
      "kfed-controller-manager's status API. The API serves TLS and shows what the host's RBAC "
      "lets you read: kfedctl sends the bearer token of the host context (token, tokenFile or "
      "exec plugin), or --token / --token-file.\n\n"
      "Examples:\n  kfedctl status --status-ca-file ca.crt\n"
      "  kfedctl status configmaps my-config -n my-ns -o yaml --status-ca-file ca.crt\n"
      "  kfedctl status --watch --status-addr 127.0.0.1:9091 --status-ca-file ca.crt\n"
      "  kfedctl status --token \"$(kubectl -n demo create token viewer)\" "
      "--insecure-skip-tls-verify\n"
      "  kfedctl status --plaintext   # a controller manager started with --insecure-local");
  status_cmd->add_option("TYPE", status.type, "Only this type");
  status_cmd->add_option("NAME", status.name, "Only this object");
  status_cmd->add_option("-n,--namespace", status.ns, "Only this namespace");
  status_cmd->add_option("-o,--output", status.output, "json or yaml instead of a table")
      ->check(CLI::IsMember({"json", "yaml"}));
  status_cmd->add_flag("-w,--watch", status.watch,
                       "Follow the status API's Watch stream and print again whenever the "
                       "table changes");
  status_cmd
      ->add_option("--status-addr", status.status_addr,
                   "Address of kfed-controller-manager's gRPC status API (its --status-addr)")
      ->capture_default_str();
  status_cmd->add_option("--status-ca-file", status.status_ca_file,
                         "PEM CA bundle to verify the status API's certificate with (the "
                         "CA of the controller manager's --tls-cert-file, or ca.crt in its --cert-dir; "
                         "default: the system's roots)");
  status_cmd->add_flag("--insecure-skip-tls-verify", status.insecure_skip_tls_verify,
                       "Do not verify the status API's certificate (warns: the token could be "
                       "intercepted)");
  status_cmd->add_flag("--plaintext", status.plaintext,
                       "No TLS: for a controller manager started with --insecure-local "
                       "(loopback addresses only)");
  status_cmd->add_option("--token", status_token.token,
                         "Bearer token to send (default: the host context's token)");
  status_cmd->add_option("--token-file", status_token.token_file,
                         "File holding the bearer token to send, read before each call");

  // dashboard
  kfed::cli::DashboardOptions dashboard;
  kfed::cli::TokenFlags dashboard_token;
  CLI::App* dashboard_cmd = app.add_subcommand(
      "dashboard",
      "Open kfed's dashboard signed in as you: a local proxy, like kubectl proxy, that listens on "
      "127.0.0.1 and forwards to kfed-controller-manager's dashboard (TLS verified) with the "
      "bearer token of the host context (token, tokenFile or exec plugin), or --token / "
      "--token-file. The dashboard shows what the host's RBAC lets that user read.\n\n"
      "Examples:\n"
      "  # kfed in a cluster: forward its dashboard port, then open it through the proxy\n"
      "  kubectl -n kube-federation-system port-forward deploy/kfed-controller-manager 9090 &\n"
      "  kfedctl dashboard --insecure-skip-tls-verify --open\n"
      "  # a local controller manager started with --cert-dir /tmp/kfed-certs\n"
      "  kfedctl dashboard --dashboard-ca-file /tmp/kfed-certs/ca.crt\n"
      "  # one started with --insecure-local\n"
      "  kfedctl dashboard --dashboard-addr http://127.0.0.1:9090");
  dashboard_cmd
      ->add_option("--address", dashboard.address,
                   "Local address to listen on (loopback only: 127.0.0.1, ::1, localhost)")
      ->capture_default_str();
  dashboard_cmd->add_option("--port", dashboard.port, "Local port to listen on (0: any free one)")
      ->capture_default_str();
  dashboard_cmd
      ->add_option("--dashboard-addr", dashboard.dashboard_addr,
                   "The controller manager's dashboard (its --metrics-addr): https://HOST:PORT, or "
                   "http://127.0.0.1:PORT for one started with --insecure-local")
      ->capture_default_str();
  dashboard_cmd->add_option("--dashboard-ca-file", dashboard.dashboard_ca_file,
                            "PEM CA bundle to verify the dashboard's certificate with (ca.crt in "
                            "the controller manager's --cert-dir; default: the system's roots)");
  dashboard_cmd->add_flag("--insecure-skip-tls-verify", dashboard.insecure_skip_tls_verify,
                          "Do not verify the dashboard's certificate (warns: the token could be "
                          "intercepted)");
  dashboard_cmd->add_option("--token", dashboard_token.token,
                            "Bearer token to sign in with (default: the host context's token)");
  dashboard_cmd->add_option("--token-file", dashboard_token.token_file,
                            "File holding the bearer token, read for each request");
  dashboard_cmd->add_flag("--open", dashboard.open, "Open the page with xdg-open");

  // completion
  std::string shell;
  CLI::App* completion_cmd = app.add_subcommand(
      "completion",
      "Print a shell completion script.\n\nExample:\n  source <(kfedctl completion bash)");
  completion_cmd->add_option("SHELL", shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));

  // The overview lists one line per command; the examples show in each command's --help.
  for (CLI::App* sub : app.get_subcommands({})) {
    std::string description = sub->get_description();
    const size_t example = description.find("\n\nExample");
    if (example == std::string::npos) continue;
    sub->footer(description.substr(example + 2) + "\n" + kExitCodes);
    sub->description(description.substr(0, example));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kfed::cli::kExitOk : kfed::cli::kExitUsage;
  }
  kfed::InitLogging(argv[0], global.verbosity);

  if (version->parsed()) return kfed::cli::kExitOk;
  if (completion_cmd->parsed()) {
    std::vector<kfed::cli::CompletionCommand> commands;
    for (const CLI::App* sub : app.get_subcommands({})) {
      kfed::cli::CompletionCommand c{sub->get_name(), FlagNames(*sub), {}};
      if (sub == orphaning_cmd) c.words = {"enable", "disable", "status"};
      if (sub == completion_cmd) c.words = {"bash", "zsh"};
      commands.push_back(std::move(c));
    }
    absl::StatusOr<std::string> script =
        kfed::cli::CompletionScript(shell, FlagNames(app), commands);
    if (!script.ok()) return Fail(script.status());
    std::cout << *script;
    return kfed::cli::kExitOk;
  }

  // status reads the controller manager's status API, not the host; the host context only
  // gives the token.
  if (status_cmd->parsed()) {
    absl::StatusOr<std::unique_ptr<kfed::cli::TokenSource>> token =
        kfed::cli::TokenSource::FromFlags(global, status_token);
    if (!token.ok()) return Fail(token.status());
    kfed::cli::TokenSource* source = token->get();
    status.token = [source] { return source->Get(); };
    status.token_origin = source->origin();
    return Fail(kfed::cli::RunStatus(status, std::cout, std::cerr));
  }
  if (dashboard_cmd->parsed()) {
    absl::StatusOr<std::unique_ptr<kfed::cli::TokenSource>> token =
        kfed::cli::TokenSource::FromFlags(global, dashboard_token);
    if (!token.ok()) return Fail(token.status());
    kfed::cli::TokenSource* source = token->get();
    return Fail(kfed::cli::RunDashboard(
        dashboard, [source] { return source->Get(); }, source->origin(), std::cout, std::cerr));
  }

  absl::StatusOr<HostClient> host = ConnectHost(global);
  if (!host.ok()) return Fail(host.status());

  if (join_cmd->parsed()) {
    if (join_context.empty()) join_context = join.cluster_name;
    if (join.host_cluster_name.empty()) join.host_cluster_name = host->context;
    join.kubefed_namespace = global.kubefed_namespace;
    join.dry_run = global.dry_run;
    join.token_timeout = absl::Seconds(token_timeout_seconds);
    join.member_rbac =
        member_rbac == "all" ? kfed::cli::MemberRbac::kAll : kfed::cli::MemberRbac::kTypes;
    absl::StatusOr<kfed::kube::RestConfig> member_config =
        kfed::cli::LoadContext(global, join_context);
    if (!member_config.ok()) return Fail(kfed::Annotate(member_config.status(), "member cluster"));
    absl::StatusOr<std::unique_ptr<kfed::kube::Client>> member =
        kfed::cli::ClientForConfig(*member_config);
    if (!member.ok()) return Fail(kfed::Annotate(member.status(), "member cluster"));
    kfed::cli::MemberEndpoint endpoint{member_config->server, member_config->ca_data,
                                       member_config->proxy_url};
    return Fail(kfed::cli::Join(*host->client, **member, endpoint, join, std::cout));
  }
  if (unjoin_cmd->parsed()) {
    if (unjoin_context.empty()) unjoin_context = unjoin.cluster_name;
    if (unjoin.host_cluster_name.empty()) unjoin.host_cluster_name = host->context;
    unjoin.kubefed_namespace = global.kubefed_namespace;
    unjoin.dry_run = global.dry_run;
    std::unique_ptr<kfed::kube::Client> member;
    absl::StatusOr<kfed::kube::RestConfig> member_config =
        kfed::cli::LoadContext(global, unjoin_context);
    if (member_config.ok()) {
      absl::StatusOr<std::unique_ptr<kfed::kube::Client>> client =
          kfed::cli::ClientForConfig(*member_config);
      if (client.ok()) member = std::move(*client);
    } else if (!unjoin.force) {
      return Fail(kfed::Annotate(member_config.status(), "member cluster"));
    } else {
      std::cout << "warning: member cluster: " << member_config.status().message()
                << "; --force: removing the host's records only\n";
    }
    return Fail(kfed::cli::Unjoin(*host->client, member.get(), unjoin, std::cout));
  }
  kfed::kube::Discovery discovery(*host->client);
  if (enable_cmd->parsed()) {
    if (enable.type.empty() == enable_file.empty()) {
      return Fail(absl::InvalidArgumentError("enable needs a TYPE or -f FILE (one of them)"));
    }
    if (!enable_file.empty()) {
      absl::StatusOr<std::string> text = ReadFile(enable_file);
      if (!text.ok()) return Fail(text.status());
      enable.crd_yaml = *text;
    }
    enable.kubefed_namespace = global.kubefed_namespace;
    enable.dry_run = global.dry_run;
    return Fail(kfed::cli::Enable(*host->client, discovery, enable, std::cout));
  }
  if (disable_cmd->parsed()) {
    disable.kubefed_namespace = global.kubefed_namespace;
    disable.dry_run = global.dry_run;
    return Fail(kfed::cli::Disable(*host->client, &discovery, disable, std::cout));
  }
  if (federate_cmd->parsed()) {
    if (!federate_file.empty()) {
      absl::StatusOr<std::string> text = ReadFile(federate_file);
      if (!text.ok()) return Fail(text.status());
      federate.file_yaml = *text;
    }
    // As kubefedctl: without -n, the host context's namespace.
    if (federate.ns.empty()) federate.ns = host->default_namespace;
    federate.kubefed_namespace = global.kubefed_namespace;
    federate.dry_run = global.dry_run;
    return Fail(kfed::cli::Federate(*host->client, discovery, federate, std::cout));
  }
  if (orphaning_cmd->parsed()) {
    if (orphaning.ns.empty()) orphaning.ns = host->default_namespace;
    orphaning.kubefed_namespace = global.kubefed_namespace;
    orphaning.dry_run = global.dry_run;
    return Fail(kfed::cli::OrphaningDeletion(*host->client, &discovery, orphaning, std::cout));
  }
  return kfed::cli::kExitUsage;
}
