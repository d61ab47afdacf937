#include "cli/completion.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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

}  // namespace kfed::cli
