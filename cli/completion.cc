#include "cli/completion.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"

namespace kfed::cli {

absl::StatusOr<std::string> CompletionScript(absl::string_view shell,
                                             const std::vector<std::string>& global_flags,
                                             const std::vector<CompletionCommand>& commands) {
  if (shell != "bash" && shell != "zsh") {
    return absl::InvalidArgumentError(absl::StrCat("completion ", shell, ": want bash or zsh"));
  }
  std::vector<std::string> names;
  for (const CompletionCommand& c : commands) names.push_back(c.name);
  std::string script;
  if (shell == "zsh") {
    absl::StrAppend(&script, "#compdef kfedctl\nautoload -U +X bashcompinit && bashcompinit\n");
  }
  absl::StrAppend(
      &script, "# kfedctl ", shell, " completion: source <(kfedctl completion ", shell, ")\n",
      "_kfedctl() {\n", "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"\" i\n",
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n",
      "    case \"${COMP_WORDS[i]}\" in -*) ;; *) cmd=\"${COMP_WORDS[i]}\"; break ;; esac\n",
      "  done\n", "  local global=\"", absl::StrJoin(global_flags, " "), " --help\"\n",
      "  case \"${cmd}\" in\n", "    \"\") COMPREPLY=($(compgen -W \"", absl::StrJoin(names, " "),
      " ${global}\" -- \"${cur}\")) ;;\n");
  for (const CompletionCommand& c : commands) {
    std::vector<std::string> all = c.words;
    all.insert(all.end(), c.flags.begin(), c.flags.end());
    all.push_back("${global}");
    absl::StrAppend(&script, "    ", c.name, ") COMPREPLY=($(compgen -W \"",
                    absl::StrJoin(all, " "), "\" -- \"${cur}\")) ;;\n");
  }
  absl::StrAppend(&script, "  esac\n}\ncomplete -F _kfedctl kfedctl\n");
  return script;
}

void AddCompletionCommand(CLI::App& app, CommandEnv& env) {
  auto shell = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "completion",
      "Print a shell completion script.\n\nExample:\n  source <(kfedctl completion bash)");
  const std::vector<std::string> shells = {"bash", "zsh"};
  cmd->add_option("SHELL", *shell, "bash or zsh")->required()->check(CLI::IsMember(shells));
  env.completion_words[cmd->get_name()] = shells;
  OnRun(*cmd, env, [&app, &env, shell]() -> absl::Status {
    std::vector<CompletionCommand> commands;
    for (const CLI::App* sub : app.get_subcommands({})) {
      CompletionCommand c{sub->get_name(), FlagNames(*sub), {}};
      auto words = env.completion_words.find(c.name);
      if (words != env.completion_words.end()) c.words = words->second;
      commands.push_back(std::move(c));
    }
    ASSIGN_OR_RETURN(std::string script, CompletionScript(*shell, FlagNames(app), commands));
    std::cout << script;
    return absl::OkStatus();
  });
}

}  // namespace kfed::cli
