// The bearer token kfedctl shows to kfed-controller-manager's status API and dashboard (both
// check it with a TokenReview against the host cluster and authorize with the host's RBAC):
// --token, --token-file, or the host kubeconfig context's token, tokenFile or exec credential
// plugin. A context that authenticates with a client certificate only has no token to send.
#ifndef KFED_CLI_BEARER_TOKEN_H_
#define KFED_CLI_BEARER_TOKEN_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cli/common.h"
#include "kube/config.h"

namespace kfed::cli {

struct TokenFlags {
  std::string token;       // --token
  std::string token_file;  // --token-file
};

// Thread-safe: Get() may be called from any thread (the dashboard proxy calls it per request).
class TokenSource {
 public:
  // From the flags, else from the host context of `global` (--kubeconfig,
  // --host-cluster-context). kInvalidArgument for conflicting flags, an unknown context or an
  // unreadable file; kFailedPrecondition when the context has no token (client certificate).
  static absl::StatusOr<std::unique_ptr<TokenSource>> FromFlags(const GlobalOptions& global,
                                                                const TokenFlags& flags);
  // A fixed token (tests; --token).
  static std::unique_ptr<TokenSource> Fixed(std::string token, std::string origin);
  // A file read at every Get(), since bound service-account tokens rotate.
  static absl::StatusOr<std::unique_ptr<TokenSource>> File(std::string path, std::string origin);

  // The current token: a file is read again; an exec plugin's token is renewed shortly
  // before it expires.
  absl::StatusOr<std::string> Get() ABSL_LOCKS_EXCLUDED(mu_);

  // Where the token comes from, for messages: `--token`, `the token of context "host"`.
  const std::string& origin() const { return origin_; }

 private:
  TokenSource(std::string origin) : origin_(std::move(origin)) {}

  std::string origin_;
  std::string file_;                      // read at every Get() when set
  std::optional<kube::ExecConfig> exec_;  // renewed when expiry_ is near
  std::string context_;                   // for exec plugin errors
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time expiry_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace kfed::cli

#endif  // KFED_CLI_BEARER_TOKEN_H_
