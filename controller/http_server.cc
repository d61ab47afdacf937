#include "controller/http_server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controller/on_demand_thread_pool.h"
#include "glog/logging.h"

namespace kfed::controller {

absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" must be host:port or :port"));
  }
  std::string host = address.substr(0, colon);
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" has an invalid port"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  return std::make_pair(host, port);
}

namespace {

// Loads a PEM certificate chain (server certificate first) and key into `ctx`; TLS 1.2 at
// least. Returns why not.
std::string ConfigureTls(SSL_CTX& ctx, const std::string& chain_pem, const std::string& key_pem) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  BIO* bio = BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  std::string error;
  if (leaf == nullptr || SSL_CTX_use_certificate(&ctx, leaf) != 1) {
    error = "the TLS certificate is not a PEM certificate";
  }
  if (leaf != nullptr) X509_free(leaf);
  while (error.empty()) {
    X509* more = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (more == nullptr) break;
    if (SSL_CTX_add_extra_chain_cert(&ctx, more) != 1) {  // takes `more` on success
      X509_free(more);
      error = "the TLS certificate chain could not be used";
    }
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the chain reads as an error
  if (!error.empty()) return error;
  bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    error = "the TLS key is not a PEM private key";
  } else if (SSL_CTX_use_PrivateKey(&ctx, key) != 1 || SSL_CTX_check_private_key(&ctx) != 1) {
    error = "the TLS key does not belong to the certificate";
  }
  if (key != nullptr) EVP_PKEY_free(key);
  ERR_clear_error();
  return error;
}

HttpRequest ToRequest(const httplib::Request& req) {
  HttpRequest request;
  request.path = req.path;
  for (const auto& [name, value] : req.params) request.params.emplace(name, value);
  request.authorization = req.get_header_value("Authorization");
  return request;
}

void Send(const HttpResponse& response, httplib::Response& res) {
  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name.c_str(), value);
  res.set_content(response.body, response.content_type.c_str());
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(
    std::function<absl::Status()> readiness, HttpServerOptions options) {
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "HTTPS needs both a certificate and a key (or neither for plain HTTP)");
  }
  std::unique_ptr<httplib::Server> server;
  const bool tls = !options.tls_cert_pem.empty();
  if (tls) {
    std::string error;
    auto ssl = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      error = ConfigureTls(ctx, options.tls_cert_pem, options.tls_key_pem);
      return error.empty();
    });
    if (!error.empty() || !ssl->is_valid()) {
      return absl::InvalidArgumentError(
          error.empty() ? "could not set up TLS for the HTTP server" : error);
    }
    server = std::move(ssl);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  return std::unique_ptr<HttpServer>(
      new HttpServer(std::move(readiness), std::move(options), std::move(server), tls));
}

HttpServer::HttpServer(std::function<absl::Status()> readiness, HttpServerOptions options,
                       std::unique_ptr<httplib::Server> server, bool tls)
    : readiness_(std::move(readiness)),
      options_(std::move(options)),
      server_(std::move(server)),
      tls_(tls) {
  server_->new_task_queue = [] { return new OnDemandThreadPool(kThreads); };
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    absl::Status ready = readiness_ ? readiness_() : absl::OkStatus();
    if (ready.ok()) {
      res.set_content("ok", "text/plain");
    } else {
      res.status = 503;
      res.set_content(std::string(ready.message()), "text/plain");
    }
  });
  if (options_.metrics != nullptr) {
    server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      if (options_.metrics_guard) {
        std::optional<HttpResponse> refused = options_.metrics_guard(ToRequest(req));
        if (refused.has_value()) {
          Send(*refused, res);
          return;
        }
      }
      res.set_content(options_.metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& pattern, HttpHandler handler) {
  server_->Get(pattern, [handler](const httplib::Request& req, httplib::Response& res) {
    HttpResponse response;
    handler(ToRequest(req), &response);
    Send(response, res);
  });
}

absl::StatusOr<int> HttpServer::Start(const std::string& address) {
  auto parsed = ParseListenAddress(address);
  if (!parsed.ok()) return parsed.status();
  auto [host, port] = *parsed;
  int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address, " (address in use?)"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib 0.11's stop() closes the socket only of a server already running: a Stop()
  // right after Start() (a manager stopped before it led) left listen_after_bind() blocked
  // in accept() and Stop()'s join waiting forever. So Start returns once it runs (within
  // microseconds; bounded in case the library ever fails to start).
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  if (!server_->is_running()) {
    LOG(WARNING) << "the HTTP server on " << address << " did not start within 5 s";
  }
  return bound;
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kfed::controller
