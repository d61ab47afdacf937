// How a kfedctl subcommand plugs into the command line: each command's file has an
// `AddXxxCommand(app, env)` that registers the subcommand with its flags and a callback
// (OnRun) that runs the command and sets the exit code. main.cc only adds them and parses.
//
// CLI11 runs the callback of the subcommand given once the whole command line has parsed,
// so the global flags (which may follow the subcommand, as with kubefedctl) are all set by
// then. A parse error, --help or a missing subcommand runs no callback.
#ifndef KFED_CLI_COMMAND_H_
#define KFED_CLI_COMMAND_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/common.h"
#include "kube/client.h"

namespace kfed::cli {

// Every --help ends with the exit codes.
inline constexpr char kExitCodesFooter[] =
    "\nExit codes: 0 success; 1 the operation failed; 2 bad usage, unknown context or type; "
    "3 a cluster could not be reached.";

// What the subcommands share. It outlives the parse: the callbacks refer to it.
struct CommandEnv {
  GlobalOptions global;  // the global flags, bound by AddGlobalFlags
  std::string program;   // argv[0], for logging
  // Set by the callback of the subcommand that ran; kExitUsage when none ran.
  int exit_code = kExitUsage;
  // Fixed first arguments a subcommand takes, by subcommand name, for shell completion
  // (orphaning-deletion: enable, disable, status).
  std::map<std::string, std::vector<std::string>> completion_words;
};

// The root command: the exit codes footer, one subcommand required, and the global flags
// bound to `global`; subcommands added later accept the global flags after their own
// (kubefedctl's persistent flags: `kfedctl join c1 --cluster-context c1 --v=2`).
void SetUpRootCommand(CLI::App& app, GlobalOptions& global);

// Moves each subcommand's examples ("\n\nExample..." in its description) to its footer, so
// `kfedctl --help` lists one line per command and `kfedctl CMD --help` shows the examples.
// Call after every subcommand was added.
void MoveExamplesToFooters(CLI::App& app);

// Makes `run` the callback of `command`: logging is set up with the global -v, `run` runs,
// its error is printed to stderr ("error: ...") and its exit code (ExitCodeFor) becomes
// env.exit_code.
void OnRun(CLI::App& command, CommandEnv& env, std::function<absl::Status()> run);

// A client for the host cluster (--host-cluster-context, else the current context).
struct HostClient {
  std::string context;
  std::string default_namespace;  // the context's namespace ("default" when it names none)
  std::unique_ptr<kube::Client> client;
};
absl::StatusOr<HostClient> ConnectHost(const GlobalOptions& global);

// A file's content; "-" reads standard input (kubefedctl's `-f -`). kInvalidArgument
// naming the file when it cannot be read.
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path);

// The --flags of a command (not --help), for shell completion.
std::vector<std::string> FlagNames(const CLI::App& command);

// kfedctl version.
void AddVersionCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_COMMAND_H_
