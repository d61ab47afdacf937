#include "controller/manager_servers.h"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kube/transport.h"
#include "status/http_api.h"

namespace kfed::controller {

absl::StatusOr<std::string> LoopbackAddress(const std::string& address) {
  absl::StatusOr<std::pair<std::string, int>> parsed = ParseListenAddress(address);
  if (!parsed.ok()) return parsed.status();
  const auto& [host, port] = *parsed;
  if (host == "0.0.0.0" && absl::StartsWith(address, ":")) {
    return absl::StrCat("127.0.0.1:", port);
  }
  if (host == "localhost" || host == "::1" || absl::StartsWith(host, "127.")) {
    return host == "::1" ? absl::StrCat("[::1]:", port) : absl::StrCat(host, ":", port);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--insecure-local serves without TLS and so only on loopback addresses; \"", address,
      "\" is not one (use 127.0.0.1:PORT, or drop --insecure-local to serve TLS there)"));
}

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

absl::Status WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write ", tmp));
    out << data;
    if (!out.flush()) return absl::InvalidArgumentError(absl::StrCat("cannot write ", tmp));
  }
  chmod(tmp.c_str(), mode);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<kube::ServingCertificate> LoadOrMakeServingCertificate(const ServingOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-key-file go together (neither: a self-signed certificate)");
  }
  if (!o.tls_cert_file.empty()) {
    kube::ServingCertificate files;
    absl::StatusOr<std::string> cert = ReadPem(o.tls_cert_file, "--tls-cert-file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(o.tls_key_file, "--tls-key-file");
    if (!key.ok()) return key.status();
    files.cert_chain_pem = *cert;
    files.key_pem = *key;
    return files;
  }
  kube::ServingCertificate made = kube::MakeServingCertificate("kfed-controller-manager");
  if (!o.cert_dir.empty()) {
    mkdir(o.cert_dir.c_str(), 0755);
    for (const auto& [name, data, mode] : {std::make_tuple("tls.crt", made.cert_chain_pem, 0644),
                                           std::make_tuple("tls.key", made.key_pem, 0600),
                                           std::make_tuple("ca.crt", made.ca_pem, 0644)}) {
      absl::Status written = WriteFile(absl::StrCat(o.cert_dir, "/", name), data, mode);
      if (!written.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--cert-dir: ", written.message()));
      }
    }
    LOG(INFO) << "generated a self-signed serving certificate; clients trust " << o.cert_dir
              << "/ca.crt";
  } else {
    LOG(INFO) << "generated a self-signed serving certificate (pass --cert-dir to write it for "
                 "clients, or --tls-cert-file/--tls-key-file to use your own)";
  }
  return made;
}

ManagerServers::ManagerServers(ServingOptions options, MetricsRegistry& metrics,
                               status::StatusStore& store, status::AccessControl& access,
                               std::function<absl::Status()> readiness)
    : options_(std::move(options)),
      metrics_(metrics),
      store_(store),
      access_(access),
      readiness_(std::move(readiness)) {}

ManagerServers::~ManagerServers() { Stop(); }

void ManagerServers::StopStatusServer() {
  if (status_server_) status_server_->Stop();
}

void ManagerServers::Stop() {
  if (memory_trimmer_ != nullptr) memory_trimmer_->Stop();
  metrics_server_.reset();
  healthz_server_.reset();
}

absl::Status ManagerServers::Start() {
  std::string metrics_addr = options_.metrics_addr;
  std::string status_addr = options_.status_addr;
  kube::ServingCertificate tls;
  if (options_.insecure_local) {
    absl::StatusOr<std::string> m = LoopbackAddress(metrics_addr);
    if (!m.ok()) return m.status();
    metrics_addr = *m;
    if (!status_addr.empty()) {
      absl::StatusOr<std::string> st = LoopbackAddress(status_addr);
      if (!st.ok()) return st.status();
      status_addr = *st;
    }
  } else {
    absl::StatusOr<kube::ServingCertificate> cert = LoadOrMakeServingCertificate(options_);
    if (!cert.ok()) return cert.status();
    tls = std::move(*cert);
  }

  // /metrics needs `get` on the non-resource URL /metrics (controller-runtime's rule).
  status::AccessControl* access = &access_;
  HttpServerOptions metrics_options;
  metrics_options.tls_cert_pem = tls.cert_chain_pem;
  metrics_options.tls_key_pem = tls.key_pem;
  metrics_options.metrics = &metrics_;
  metrics_options.metrics_guard =
      [access](const HttpRequest& request) -> std::optional<HttpResponse> {
    absl::StatusOr<status::Caller> caller = access->Authenticate(request.authorization);
    absl::Status allowed =
        caller.ok() ? access->MayGetNonResource(*caller, "/metrics") : caller.status();
    if (allowed.ok()) return std::nullopt;
    status::HttpReply reply = status::AccessErrorReply(allowed);
    return HttpResponse{reply.status, reply.content_type, reply.body, reply.headers};
  };
  const bool shared_server = options_.healthz_addr == options_.metrics_addr;
  if (!shared_server) {
    // Probes only: plain HTTP, no data.
    absl::StatusOr<std::unique_ptr<HttpServer>> healthz =
        HttpServer::Create(readiness_, HttpServerOptions{});
    if (!healthz.ok()) return healthz.status();
    healthz_server_ = std::move(*healthz);
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> metrics =
      HttpServer::Create(readiness_, metrics_options);
  if (!metrics.ok()) return metrics.status();
  metrics_server_ = std::move(*metrics);
  if (memory_trimmer_ == nullptr) {
    memory_trimmer_ = std::make_unique<MemoryTrimmer>(metrics_);
    memory_trimmer_->Start();
  }
  // The dashboard and its API (status/http_api.h) on the metrics server.
  auto api = std::make_shared<status::HttpApi>(store_, access_, kube::kKfedVersion);
  metrics_server_->Get("/.*", [api](const HttpRequest& request, HttpResponse* response) {
    status::HttpReply reply = api->Get(request.path, request.params, request.authorization);
    response->status = reply.status;
    response->content_type = std::move(reply.content_type);
    response->body = std::move(reply.body);
    response->headers = std::move(reply.headers);
  });
  absl::StatusOr<int> mp = metrics_server_->Start(metrics_addr);
  if (!mp.ok()) return mp.status();
  metrics_port_ = *mp;
  if (healthz_server_ != nullptr) {
    absl::StatusOr<int> hp = healthz_server_->Start(options_.healthz_addr);
    if (!hp.ok()) return hp.status();
    healthz_port_ = *hp;
  } else {
    healthz_port_ = *mp;
  }
  const char* scheme = metrics_server_->tls() ? "https" : "http";
  LOG(INFO) << "serving /healthz and /readyz on " << options_.healthz_addr << " (port "
            << healthz_port_.load() << "); " << scheme << "://" << metrics_addr << " (port "
            << metrics_port_.load()
            << "): /metrics, the dashboard and /api/v1, for callers with a bearer token the "
               "host's RBAC allows";

  if (status_addr.empty()) {
    LOG(INFO) << "the gRPC status API is disabled (--status-addr=\"\")";
    return absl::OkStatus();
  }
  status::StatusServerOptions so;
  so.address = status_addr;
  so.tls_cert_pem = tls.cert_chain_pem;
  so.tls_key_pem = tls.key_pem;
  so.access = &access_;
  so.version = kube::kKfedVersion;
  // NOT_SERVING until the manager's readiness tells it otherwise (it subscribes next).
  so.serving_at_start = false;
  absl::StatusOr<std::unique_ptr<status::StatusServer>> server =
      status::StatusServer::Start(store_, so);
  if (!server.ok()) return server.status();
  status_server_ = std::move(*server);
  status_port_ = status_server_->port();
  LOG(INFO) << "serving the gRPC status API (kfed.status.v1.FederationStatus, health, "
               "reflection) on "
            << status_addr << " (port " << status_port_.load() << ") "
            << (status_server_->tls() ? "with TLS" : "in plaintext (--insecure-local)");
  return absl::OkStatus();
}

}  // namespace kfed::controller
