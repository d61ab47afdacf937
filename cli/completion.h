// kfedctl completion bash|zsh: shell completion of commands and flags.
#ifndef KFED_CLI_COMPLETION_H_
#define KFED_CLI_COMPLETION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

}  // namespace kfed::cli

#endif  // KFED_CLI_COMPLETION_H_
