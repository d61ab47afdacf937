#include "cli/dashboard.h"

#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "base/json.h"
#include "base/status_macros.h"
#include "cli/bearer_token.h"

extern char** environ;

namespace kfed::cli {

namespace {

constexpr int kConnectTimeoutSeconds = 5;
constexpr int kThreads = 16;  // each open page holds one for its long poll

// Request headers the proxy never forwards: the browser's own credentials (the proxy adds the
// user's token), hop-by-hop headers, and the pseudo headers cpp-httplib adds.
constexpr const char* kDroppedRequestHeaders[] = {
    "Authorization",  "Proxy-Authorization", "Cookie",    "Host", "Connection",      "Keep-Alive",
    "Content-Length", "Transfer-Encoding",   "Upgrade",   "TE",   "Accept-Encoding", "REMOTE_ADDR",
    "REMOTE_PORT",    "LOCAL_ADDR",          "LOCAL_PORT"};
constexpr const char* kDroppedResponseHeaders[] = {"Connection",        "Keep-Alive",
                                                   "Transfer-Encoding", "Content-Length",
                                                   "Content-Encoding",  "Upgrade"};

bool In(const std::string& name, absl::Span<const char* const> names) {
  for (const char* n : names) {
    if (absl::EqualsIgnoreCase(name, n)) return true;
  }
  return false;
}

struct Backend {
  std::string scheme;  // http or https
  std::string host;    // without brackets
  int port = 0;
};

absl::StatusOr<Backend> ParseBackend(const std::string& addr) {
  Backend b;
  absl::string_view rest = addr;
  if (absl::ConsumePrefix(&rest, "https://")) {
    b.scheme = "https";
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    b.scheme = "http";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--dashboard-addr ", addr,
                     ": want https://HOST:PORT (the controller manager's "
                     "--metrics-addr), e.g. https://127.0.0.1:9090"));
  }
  absl::ConsumeSuffix(&rest, "/");
  if (absl::StrContains(rest, "/") || absl::StrContains(rest, "?")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dashboard-addr ", addr, ": give the server only (https://HOST:PORT), no path"));
  }
  absl::string_view port_text;
  if (absl::ConsumePrefix(&rest, "[")) {
    const size_t close = rest.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--dashboard-addr ", addr, ": no ]"));
    }
    b.host = std::string(rest.substr(0, close));
    rest.remove_prefix(close + 1);
    if (absl::ConsumePrefix(&rest, ":")) port_text = rest;
  } else {
    const size_t colon = rest.rfind(':');
    b.host = std::string(rest.substr(0, colon));
    if (colon != absl::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (port_text.empty()) {
    b.port = b.scheme == "https" ? 443 : 80;
  } else if (!absl::SimpleAtoi(port_text, &b.port) || b.port <= 0 || b.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--dashboard-addr ", addr, ": bad port"));
  }
  if (b.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--dashboard-addr ", addr, ": no host"));
  }
  if (b.scheme == "http" && !IsLoopbackHost(b.host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dashboard-addr ", addr,
        ": refused, because the bearer token would cross the network "
        "unencrypted. http:// is only for a controller manager started with --insecure-local, "
        "which listens on loopback; use https:// with --dashboard-ca-file"));
  }
  return b;
}

std::string BackendUrl(const Backend& b) {
  const bool v6 = absl::StrContains(b.host, ":");
  return absl::StrCat(b.scheme, "://", v6 ? "[" : "", b.host, v6 ? "]" : "", ":", b.port);
}

std::unique_ptr<httplib::Client> NewClient(const DashboardOptions& options,
                                           const Backend& backend) {
  auto client = std::make_unique<httplib::Client>(BackendUrl(backend));
  client->set_url_encode(false);  // forward the browser's target byte for byte
  client->set_connection_timeout(kConnectTimeoutSeconds);
  client->set_read_timeout(DashboardProxy::kReadTimeoutSeconds);
  client->set_write_timeout(kConnectTimeoutSeconds * 3);
  if (backend.scheme == "https") {
    if (!options.dashboard_ca_file.empty()) client->set_ca_cert_path(options.dashboard_ca_file);
    client->enable_server_certificate_verification(!options.insecure_skip_tls_verify);
  }
  return client;
}

void JsonError(httplib::Response& res, int status, const std::string& message) {
  rapidjson::Document doc(rapidjson::kObjectType);
  json::SetString(doc, "error", message, doc.GetAllocator());
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(json::Serialize(doc), "application/json");
}

std::string ExplainClientError(httplib::Error error, const DashboardOptions& options) {
  std::string what = absl::StrCat("kfedctl dashboard: cannot reach the dashboard at ",
                                  options.dashboard_addr, " (", httplib::to_string(error), ")");
  switch (error) {
    case httplib::Error::SSLServerVerification:
      return absl::StrCat(what,
                          ": its certificate is not trusted. Pass --dashboard-ca-file "
                          "(the controller manager's certificate, e.g. ca.crt in its "
                          "--cert-dir) or --insecure-skip-tls-verify");
    case httplib::Error::SSLConnection:
      return absl::StrCat(what,
                          ": the TLS handshake failed; if the controller manager runs "
                          "with --insecure-local, use --dashboard-addr http://127.0.0.1:PORT");
    case httplib::Error::SSLLoadingCerts:
      return absl::StrCat(what, ": cannot load --dashboard-ca-file ", options.dashboard_ca_file);
    case httplib::Error::Read:
      return absl::StrCat(what,
                          ": the connection ended without an answer; if the controller "
                          "manager serves TLS (the default), use https://");
    default:
      return absl::StrCat(what,
                          ": is kfed-controller-manager running, or is the port-forward "
                          "(kubectl -n kube-federation-system port-forward "
                          "deploy/kfed-controller-manager 9090) up?");
  }
}

// Only names of this machine: a page elsewhere that rebinds its DNS name to 127.0.0.1 sends
// its own name as Host and is refused.
bool HostAllowed(const std::string& host_header) {
  absl::string_view h = host_header;
  std::string host;
  if (absl::ConsumePrefix(&h, "[")) {
    host = std::string(h.substr(0, h.find(']')));
  } else {
    host = std::string(h.substr(0, h.rfind(':')));
  }
  return IsLoopbackHost(host);
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  absl::string_view h = host;
  absl::ConsumePrefix(&h, "[");
  absl::ConsumeSuffix(&h, "]");
  if (absl::EqualsIgnoreCase(h, "localhost") || h == "::1") return true;
  std::vector<std::string> octets = absl::StrSplit(h, '.');
  if (octets.size() != 4 || octets[0] != "127") return false;
  for (const std::string& o : octets) {
    int v = 0;
    if (o.empty() || o.size() > 3 || !absl::SimpleAtoi(o, &v) || v < 0 || v > 255) return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<DashboardProxy>> DashboardProxy::Start(
    const DashboardOptions& options, TokenFunction token) {
  if (!IsLoopbackHost(options.address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--address ", options.address,
        ": refused, because anyone who can reach the proxy "
        "reads the dashboard as you (it adds your token). It listens on loopback only: "
        "127.0.0.1, ::1 or localhost"));
  }
  ASSIGN_OR_RETURN(Backend backend, ParseBackend(options.dashboard_addr));
  if (!options.dashboard_ca_file.empty()) {
    std::ifstream in(options.dashboard_ca_file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--dashboard-ca-file ", options.dashboard_ca_file, ": cannot read a PEM certificate"));
    }
  }
  std::unique_ptr<DashboardProxy> proxy(new DashboardProxy());
  proxy->options_ = options;
  proxy->token_ = std::move(token);
  proxy->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *proxy->server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server.set_read_timeout(kConnectTimeoutSeconds * 3);
  server.set_write_timeout(kReadTimeoutSeconds);
  DashboardProxy* self = proxy.get();
  auto forward = [self, backend](const httplib::Request& req, httplib::Response& res) {
    if (!HostAllowed(req.get_header_value("Host"))) {
      JsonError(res, 403,
                absl::StrCat("kfedctl dashboard serves localhost only, not Host ",
                             req.get_header_value("Host")));
      return;
    }
    absl::StatusOr<std::string> bearer = self->token_();
    if (!bearer.ok()) {
      JsonError(
          res, 502,
          absl::StrCat("kfedctl dashboard could not get your token: ", bearer.status().message()));
      return;
    }
    httplib::Request out;
    out.method = req.method;
    out.path = req.target.empty() ? req.path : req.target;
    for (const auto& [name, value] : req.headers) {
      if (!In(name, kDroppedRequestHeaders)) out.headers.emplace(name, value);
    }
    out.headers.emplace("Authorization", absl::StrCat("Bearer ", *bearer));
    std::unique_ptr<httplib::Client> client = NewClient(self->options_, backend);
    httplib::Result result = client->send(out);
    if (!result) {
      JsonError(res, 502, ExplainClientError(result.error(), self->options_));
      return;
    }
    res.status = result->status;
    for (const auto& [name, value] : result->headers) {
      if (!In(name, kDroppedResponseHeaders)) res.headers.emplace(name, value);
    }
    res.body = std::move(result->body);
  };
  server.Get(".*", forward);
  auto refuse = [](const httplib::Request& req, httplib::Response& res) {
    JsonError(res, 405, absl::StrCat("kfedctl dashboard forwards GET only, not ", req.method));
    res.set_header("Allow", "GET, HEAD");
  };
  server.Post(".*", refuse);
  server.Put(".*", refuse);
  server.Patch(".*", refuse);
  server.Delete(".*", refuse);
  server.Options(".*", refuse);
  const std::string bind_host(absl::StripPrefix(absl::StripSuffix(options.address, "]"), "["));
  if (options.port == 0) {
    proxy->port_ = server.bind_to_any_port(bind_host);
  } else {
    proxy->port_ = server.bind_to_port(bind_host, options.port) ? options.port : -1;
  }
  if (proxy->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("kfedctl dashboard cannot listen on ",
                                               options.address, ":", options.port,
                                               " (in use?): pass another --port"));
  }
  proxy->thread_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->stopped_ = true;
  });
  while (!server.is_running() && !proxy->stopped_) std::this_thread::yield();
  return proxy;
}

DashboardProxy::~DashboardProxy() {
  Stop();
  Wait();
}

std::string DashboardProxy::url() const {
  const bool v6 =
      absl::StrContains(options_.address, ":") && !absl::StartsWith(options_.address, "[");
  return absl::StrCat("http://", v6 ? "[" : "", options_.address, v6 ? "]" : "", ":", port_, "/");
}

void DashboardProxy::Wait() {
  if (thread_.joinable()) thread_.join();
}

void DashboardProxy::Stop() {
  if (server_ != nullptr) server_->stop();
}

absl::StatusOr<std::string> DashboardWhoami(const DashboardOptions& options,
                                            const TokenFunction& token) {
  ASSIGN_OR_RETURN(Backend backend, ParseBackend(options.dashboard_addr));
  ASSIGN_OR_RETURN(std::string bearer, token());
  std::unique_ptr<httplib::Client> client = NewClient(options, backend);
  httplib::Result result =
      client->Get("/api/v1/whoami", {{"Authorization", absl::StrCat("Bearer ", bearer)}});
  if (!result) return absl::UnavailableError(ExplainClientError(result.error(), options));
  absl::StatusOr<rapidjson::Document> body = json::Parse(result->body);
  const std::string server_message =
      body.ok() && body->IsObject() ? json::GetString(*body, "error") : "";
  if (result->status == 401) {
    return absl::UnauthenticatedError(absl::StrCat("the dashboard at ", options.dashboard_addr,
                                                   " rejected the token: ", server_message));
  }
  if (result->status == 404) return std::string();  // a controller manager without sign-in
  if (result->status != 200 || !body.ok() || !body->IsObject()) {
    return absl::UnavailableError(absl::StrCat("the dashboard at ", options.dashboard_addr,
                                               " answered HTTP ", result->status,
                                               server_message.empty() ? "" : ": ", server_message));
  }
  return json::GetString(*body, "username");
}

namespace {

// Runs xdg-open if it is on the PATH; does not wait for it.
bool OpenInBrowser(const std::string& url) {
  const char* path = std::getenv("PATH");
  bool found = false;
  for (absl::string_view dir : absl::StrSplit(path ? path : "", ':')) {
    if (!dir.empty() && access(absl::StrCat(dir, "/xdg-open").c_str(), X_OK) == 0) found = true;
  }
  if (!found) return false;
  std::vector<std::string> args = {"xdg-open", url};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, "xdg-open", nullptr, nullptr, argv.data(), environ) != 0) return false;
  // Reap it when it exits so it leaves no zombie.
  std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
  return true;
}

}  // namespace

absl::Status RunDashboard(const DashboardOptions& options, TokenFunction token,
                          const std::string& token_origin, std::ostream& out, std::ostream& err) {
  if (options.insecure_skip_tls_verify) {
    err << "warning: --insecure-skip-tls-verify: the dashboard's certificate is not verified; "
           "anyone who can intercept the connection can read your token. Use "
           "--dashboard-ca-file instead.\n";
  }
  ASSIGN_OR_RETURN(std::unique_ptr<DashboardProxy> proxy, DashboardProxy::Start(options, token));
  absl::StatusOr<std::string> user = DashboardWhoami(options, token);
  if (absl::IsUnauthenticated(user.status())) {
    return absl::UnauthenticatedError(absl::StrCat(
        user.status().message(), " (", token_origin,
        "; check --host-cluster-context or pass "
        "--token, e.g. --token \"$(kubectl -n NAMESPACE create token SERVICEACCOUNT)\")"));
  }
  if (!user.ok()) {
    err << "warning: " << user.status().message() << "; serving anyway\n";
  } else if (!user->empty()) {
    out << "Signed in as " << *user << " (" << token_origin << ")\n";
  }
  out << "Dashboard: " << proxy->url() << "\n" << std::flush;
  if (options.open && !OpenInBrowser(proxy->url())) {
    err << "xdg-open is not installed: open " << proxy->url() << " in a browser\n";
  }
  err << std::flush;
  proxy->Wait();
  return absl::UnavailableError("kfedctl dashboard: the local server stopped");
}

void AddDashboardCommand(CLI::App& app, CommandEnv& env) {
  struct Flags {
    DashboardOptions dashboard;
    TokenFlags token;
  };
  auto flags = std::make_shared<Flags>();
  DashboardOptions& dashboard = flags->dashboard;
  CLI::App* cmd = app.add_subcommand(
      "dashboard",
      "Open kfed's dashboard signed in as you: a local proxy, like kubectl proxy, that listens on "
      "127.0.0.1 and forwards to kfed-controller-manager's dashboard (TLS verified) with the "
      "bearer token of the host context (token, tokenFile or exec plugin), or --token / "
      "--token-file. The dashboard shows what the host's RBAC lets that user read.\n\n"
      "Examples:\n"
      "  # kfed in a cluster: forward its dashboard port, then open it through the proxy\n"
      "  kubectl -n kube-federation-system port-forward deploy/kfed-controller-manager 9090 &\n"
      "  kfedctl dashboard --insecure-skip-tls-verify --open\n"
      "  # a local controller manager started with --cert-dir /tmp/kfed-certs\n"
      "  kfedctl dashboard --dashboard-ca-file /tmp/kfed-certs/ca.crt\n"
      "  # one started with --insecure-local\n"
      "  kfedctl dashboard --dashboard-addr http://127.0.0.1:9090");
  cmd->add_option("--address", dashboard.address,
                  "Local address to listen on (loopback only: 127.0.0.1, ::1, localhost)")
      ->capture_default_str();
  cmd->add_option("--port", dashboard.port, "Local port to listen on (0: any free one)")
      ->capture_default_str();
  cmd->add_option("--dashboard-addr", dashboard.dashboard_addr,
                  "The controller manager's dashboard (its --metrics-addr): https://HOST:PORT, or "
                  "http://127.0.0.1:PORT for one started with --insecure-local")
      ->capture_default_str();
  cmd->add_option("--dashboard-ca-file", dashboard.dashboard_ca_file,
                  "PEM CA bundle to verify the dashboard's certificate with (ca.crt in "
                  "the controller manager's --cert-dir; default: the system's roots)");
  cmd->add_flag("--insecure-skip-tls-verify", dashboard.insecure_skip_tls_verify,
                "Do not verify the dashboard's certificate (warns: the token could be "
                "intercepted)");
  cmd->add_option("--token", flags->token.token,
                  "Bearer token to sign in with (default: the host context's token)");
  cmd->add_option("--token-file", flags->token.token_file,
                  "File holding the bearer token, read for each request");
  cmd->add_flag("--open", dashboard.open, "Open the page with xdg-open");
  OnRun(*cmd, env, [&env, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<TokenSource> source,
                     TokenSource::FromFlags(env.global, flags->token));
    return RunDashboard(
        flags->dashboard, [source = source.get()] { return source->Get(); }, source->origin(),
        std::cout, std::cerr);
  });
}

}  // namespace kfed::cli
