#include "cli/bearer_token.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace kfed::cli {

namespace {

// An exec plugin's token is renewed this long before it expires.
constexpr absl::Duration kRenewBefore = absl::Seconds(30);

absl::StatusOr<std::string> ReadToken(const std::string& path, const std::string& origin) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read the token file ", path, " (", origin, ")"));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token file ", path, " (", origin, ") is empty"));
  }
  return token;
}

}  // namespace

std::unique_ptr<TokenSource> TokenSource::Fixed(std::string token, std::string origin) {
  std::unique_ptr<TokenSource> source(new TokenSource(std::move(origin)));
  absl::MutexLock lock(&source->mu_);
  source->token_ = std::move(token);
  return source;
}

absl::StatusOr<std::unique_ptr<TokenSource>> TokenSource::File(std::string path,
                                                               std::string origin) {
  RETURN_IF_ERROR(ReadToken(path, origin).status());
  std::unique_ptr<TokenSource> source(new TokenSource(std::move(origin)));
  source->file_ = std::move(path);
  return source;
}

absl::StatusOr<std::unique_ptr<TokenSource>> TokenSource::FromFlags(const GlobalOptions& global,
                                                                    const TokenFlags& flags) {
  if (!flags.token.empty() && !flags.token_file.empty()) {
    return absl::InvalidArgumentError("--token and --token-file: pass one of them");
  }
  if (!flags.token.empty()) {
    std::string token(absl::StripAsciiWhitespace(flags.token));
    if (token.empty()) return absl::InvalidArgumentError("--token is empty");
    return Fixed(std::move(token), "--token");
  }
  if (!flags.token_file.empty()) {
    return File(flags.token_file, absl::StrCat("--token-file ", flags.token_file));
  }
  ASSIGN_OR_RETURN(std::string context, ResolveContext(global, global.host_context));
  // Loading runs an exec plugin, so the config holds its token already.
  ASSIGN_OR_RETURN(kube::RestConfig config, LoadContext(global, context));
  const std::string origin = absl::StrCat("the token of context \"", context, "\"");
  if (!config.bearer_token_file.empty()) return File(config.bearer_token_file, origin);
  if (!config.bearer_token.empty()) {
    std::unique_ptr<TokenSource> source = Fixed(config.bearer_token, origin);
    if (config.exec.has_value()) {
      source->exec_ = config.exec;
      source->context_ = context;
      absl::MutexLock lock(&source->mu_);
      source->expiry_ = config.exec_expiry;
    }
    return source;
  }
  const std::string what =
      !config.client_cert_data.empty()
          ? (config.exec.has_value() ? "its exec credential plugin returns a client certificate"
                                     : "it authenticates with a client certificate")
          : "it has no token";
  return absl::FailedPreconditionError(absl::StrCat(
      "context \"", context, "\" cannot sign in to kfed's status API and dashboard: ", what,
      ", and kfed checks bearer tokens only (TokenReview). Pass --token (e.g. "
      "--token \"$(kubectl -n NAMESPACE create token SERVICEACCOUNT)\") or --token-file, or pick "
      "a context with a token with --host-cluster-context"));
}

absl::StatusOr<std::string> TokenSource::Get() {
  if (!file_.empty()) return ReadToken(file_, origin_);
  {
    absl::MutexLock lock(&mu_);
    if (!exec_.has_value() || absl::Now() + kRenewBefore < expiry_) return token_;
  }
  // Run the plugin without the lock; two callers may both run it, and either answer is good.
  kube::RestConfig fresh;
  RETURN_IF_ERROR(kube::RunExecPlugin(*exec_, context_, fresh));
  if (fresh.bearer_token.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the exec credential plugin of context \"", context_,
                     "\" returned no token; pass --token or --token-file"));
  }
  absl::MutexLock lock(&mu_);
  token_ = fresh.bearer_token;
  expiry_ = fresh.exec_expiry;
  return token_;
}

}  // namespace kfed::cli
