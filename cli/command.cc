#include "cli/command.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status_macros.h"

namespace kfed::cli {

void SetUpRootCommand(CLI::App& app, GlobalOptions& global) {
  app.footer(kExitCodesFooter);
  app.require_subcommand(1);
  // Global flags may follow the subcommand, as with kubefedctl (cobra's persistent flags):
  // `kfedctl join c1 --cluster-context c1 --host-cluster-context host --v=2`. Subcommands
  // inherit this when added.
  app.fallthrough();
  app.add_option("--kubeconfig", global.kubeconfig,
                 "Path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config)");
  app.add_option("--host-cluster-context", global.host_context,
                 "The kubeconfig context of the host cluster (default: current-context)");
  app.add_option("--kubefed-namespace", global.kubefed_namespace,
                 "The namespace kfed runs in, holding KubeFedClusters and FederatedTypeConfigs")
      ->capture_default_str();
  app.add_flag("--dry-run", global.dry_run, "Show what would be done; write nothing");
  app.add_option("-v,--v", global.verbosity, "Log verbosity (0 quiet .. 4)");
}

void MoveExamplesToFooters(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    std::string description = sub->get_description();
    const size_t example = description.find("\n\nExample");
    if (example == std::string::npos) continue;
    sub->footer(description.substr(example + 2) + "\n" + kExitCodesFooter);
    sub->description(description.substr(0, example));
  }
}

void OnRun(CLI::App& command, CommandEnv& env, std::function<absl::Status()> run) {
  command.callback([&env, run = std::move(run)] {
    InitLogging(env.program.c_str(), env.global.verbosity);
    const absl::Status status = run();
    if (!status.ok()) std::cerr << "error: " << status.message() << std::endl;
    env.exit_code = ExitCodeFor(status);
  });
}

absl::StatusOr<HostClient> ConnectHost(const GlobalOptions& global) {
  HostClient host;
  ASSIGN_OR_RETURN(host.context, ResolveContext(global, global.host_context));
  absl::StatusOr<kube::RestConfig> config = LoadContext(global, host.context);
  if (!config.ok()) return Annotate(config.status(), "host cluster");
  host.default_namespace =
      config->default_namespace.empty() ? "default" : config->default_namespace;
  absl::StatusOr<std::unique_ptr<kube::Client>> client = ClientForConfig(*config);
  if (!client.ok()) return Annotate(client.status(), "host cluster");
  host.client = std::move(*client);
  return host;
}

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> FlagNames(const CLI::App& command) {
  std::vector<std::string> flags;
  for (const CLI::Option* o : command.get_options()) {
    for (const std::string& n : o->get_lnames()) {
      if (n != "help") flags.push_back("--" + n);
    }
  }
  return flags;
}

void AddVersionCommand(CLI::App& app, CommandEnv& env) {
  CLI::App* version =
      app.add_subcommand("version", "Print kfedctl's version\n\nExample:\n  kfedctl version");
  OnRun(*version, env, [] {
    std::cout << "kfedctl version " << VersionString() << "\n";
    return absl::OkStatus();
  });
}

}  // namespace kfed::cli
