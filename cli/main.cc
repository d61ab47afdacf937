// kfedctl: KubeFed's kubefedctl commands and flags for kfed, plus `status` and `dashboard`.
// Each command's file registers its subcommand, flags and callback (AddXxxCommand, see
// command.h); the command's logic is a library function beside it (join.h, ...).
#include "CLI/CLI.hpp"
#include "cli/command.h"
#include "cli/completion.h"
#include "cli/dashboard.h"
#include "cli/enable.h"
#include "cli/federate.h"
#include "cli/join.h"
#include "cli/orphaning.h"
#include "cli/status.h"
#include "cli/unjoin.h"

int main(int argc, char** argv) {
  namespace cli = ::kfed::cli;
  CLI::App app{
      "kfedctl: manages a kfed (KubeFed v0.10 compatible) federation: joins member clusters, "
      "enables types, federates resources and shows their propagation status.\n\nExample:\n"
      "  kfedctl --host-cluster-context host join member1 --cluster-context member1"};
  cli::CommandEnv env;
  env.program = argv[0];
  cli::SetUpRootCommand(app, env.global);
  // In this order in `kfedctl --help` and the completion scripts.
  cli::AddVersionCommand(app, env);
  cli::AddJoinCommand(app, env);
  cli::AddUnjoinCommand(app, env);
  cli::AddEnableCommand(app, env);
  cli::AddDisableCommand(app, env);
  cli::AddFederateCommand(app, env);
  cli::AddOrphaningDeletionCommand(app, env);
  cli::AddStatusCommand(app, env);
  cli::AddDashboardCommand(app, env);
  cli::AddCompletionCommand(app, env);
  cli::MoveExamplesToFooters(app);

  try {
    app.parse(argc, argv);  // runs the callback of the subcommand given
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kExitOk : cli::kExitUsage;
  }
  return env.exit_code;
}
