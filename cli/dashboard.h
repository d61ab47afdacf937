// kfedctl dashboard: a local authenticating proxy to kfed-controller-manager's dashboard, as
// `kubectl proxy` is to the API server. It listens on loopback only and forwards each request
// to the dashboard (TLS verified) with `Authorization: Bearer <the user's token>`, replacing
// whatever Authorization the browser sent, so the page goes straight in as the kubeconfig's
// user. Only GET and HEAD pass (the dashboard's API reads only), and only requests whose Host
// is localhost, 127.0.0.1 or [::1] (a web page cannot reach it through DNS rebinding).
#ifndef KFED_CLI_DASHBOARD_H_
#define KFED_CLI_DASHBOARD_H_

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/command.h"

namespace httplib {
class Server;
}

namespace kfed::cli {

struct DashboardOptions {
  std::string address = "127.0.0.1";  // loopback only
  int port = 8001;                    // 0: any free port
  // The controller manager's dashboard (its --metrics-addr): https://, or http:// to a
  // loopback address for a controller manager started with --insecure-local.
  std::string dashboard_addr = "https://127.0.0.1:9090";
  std::string dashboard_ca_file;  // PEM; "" = the system's roots
  bool insecure_skip_tls_verify = false;
  bool open = false;  // run xdg-open on the URL
};

// The bearer token for each forwarded request (re-read, so rotating tokens stay fresh).
using TokenFunction = std::function<absl::StatusOr<std::string>()>;

class DashboardProxy {
 public:
  // How long a forwarded request may take: the dashboard's long poll holds up to 60 s.
  static constexpr int kReadTimeoutSeconds = 90;

  // Validates the options, binds and starts serving on a thread of its own. kInvalidArgument
  // for an address that is not loopback, a bad --dashboard-addr or CA file; kUnavailable when
  // the port is taken.
  static absl::StatusOr<std::unique_ptr<DashboardProxy>> Start(const DashboardOptions& options,
                                                               TokenFunction token);
  ~DashboardProxy();

  int port() const { return port_; }
  // http://127.0.0.1:PORT/
  std::string url() const;
  // Blocks until Stop() (from another thread) or the server fails.
  void Wait();
  void Stop();

 private:
  DashboardProxy() = default;

  DashboardOptions options_;
  TokenFunction token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};  // the serving thread returned
  int port_ = 0;
};

// Whether a host ("127.0.0.1", "localhost", "::1", "[::1]") is this machine.
bool IsLoopbackHost(const std::string& host);

// Asks the dashboard who the token belongs to (GET /api/v1/whoami through the same client the
// proxy uses): the username, or kUnauthenticated / kUnavailable saying what to do.
absl::StatusOr<std::string> DashboardWhoami(const DashboardOptions& options,
                                            const TokenFunction& token);

// kfedctl dashboard: starts the proxy, checks the token with whoami (a rejected token is an
// error; an unreachable dashboard only a warning, since a port-forward may come later),
// prints "Dashboard: http://127.0.0.1:PORT/", opens it with --open, and serves until killed.
// Warnings go to `err`.
absl::Status RunDashboard(const DashboardOptions& options, TokenFunction token,
                          const std::string& token_origin, std::ostream& out, std::ostream& err);

// `kfedctl dashboard`: the subcommand, its flags, and a callback running RunDashboard with the
// bearer token of --token / --token-file or the host context (bearer_token.h).
void AddDashboardCommand(CLI::App& app, CommandEnv& env);

}  // namespace kfed::cli

#endif  // KFED_CLI_DASHBOARD_H_
