// kfedctl completion bash|zsh: shell completion of commands and flags.
#ifndef KFED_CLI_COMPLETION_H_
#define KFED_CLI_COMPLETION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"

namespace kfed::cli {

struct CompletionCommand {
  std::string name;
  std::vector<std::string> flags;  // "--cluster-context", ...
  std::vector<std::string> words;  // fixed first arguments ("enable", "disable", ...)
};

// The script for `shell` (bash or zsh; zsh via bashcompinit). kInvalidArgument otherwise.
absl::StatusOr<std::string> CompletionScript(absl::string_view shell,
                                             const std::vector<std::string>& global_flags,
                                             const std::vector<CompletionCommand>& commands);

// `kfedctl completion SHELL`: the subcommand and a callback printing the script for every
// subcommand of `app`: its flags and its words in env.completion_words.
void AddCompletionCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_COMPLETION_H_
