#include "controller/http_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>

#include "kube/pki.h"

namespace kfed::controller {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET over plain HTTP, or over HTTPS trusting `ca_pem` when set; code 0 when the request
// failed (e.g. the certificate was not trusted).
std::pair<long, std::string> Fetch(int port, const std::string& path,
                                   const std::string& ca_pem = "",
                                   const std::string& authorization = "") {
  CURL* curl = curl_easy_init();
  std::string body;
  std::string url = (ca_pem.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
                    std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_blob ca{const_cast<char*>(ca_pem.data()), ca_pem.size(), CURL_BLOB_COPY};
  if (!ca_pem.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  curl_slist* headers = nullptr;
  if (!authorization.empty()) {
    headers = curl_slist_append(headers, ("Authorization: " + authorization).c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return {code, body};
}

std::unique_ptr<HttpServer> MustCreate(std::function<absl::Status()> readiness,
                                       HttpServerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Create(std::move(readiness), std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(HttpServerTest, ServesHealthReadinessAndMetrics) {
  MetricsRegistry metrics;
  metrics.Counter("kfed_test_total", "A test counter.")->Add({}, 7);
  std::atomic<bool> synced{false};
  HttpServerOptions options;
  options.metrics = &metrics;
  auto owned = MustCreate(
      [&]() -> absl::Status {
        return synced ? absl::OkStatus() : absl::UnavailableError("caches of member1 not synced");
      },
      options);
  HttpServer& server = *owned;
  auto port = server.Start("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();

  EXPECT_EQ(Fetch(*port, "/healthz"), std::make_pair(200L, std::string("ok")));
  EXPECT_EQ(Fetch(*port, "/readyz"),
            std::make_pair(503L, std::string("caches of member1 not synced")));
  synced = true;
  EXPECT_EQ(Fetch(*port, "/readyz"), std::make_pair(200L, std::string("ok")));
  auto [code, body] = Fetch(*port, "/metrics");
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("kfed_test_total 7\n"), std::string::npos) << body;
  server.Stop();
}

TEST(HttpServerTest, ExtraHandlersGetQueryParametersAndSetStatus) {
  auto owned = MustCreate(nullptr);
  HttpServer& server = *owned;
  server.Get("/echo", [](const HttpRequest& request, HttpResponse* response) {
    auto it = request.params.find("name");
    if (it == request.params.end()) {
      response->status = 400;
      response->body = "no name";
      return;
    }
    response->content_type = "application/json";
    response->body = "{\"name\":\"" + it->second + "\"}";
  });
  server.Get("/.*", [](const HttpRequest& request, HttpResponse* response) {
    response->status = 404;
    response->body = "nothing at " + request.path;
  });
  auto port = server.Start("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(Fetch(*port, "/echo?name=a%20b"),
            std::make_pair(200L, std::string("{\"name\":\"a b\"}")));
  EXPECT_EQ(Fetch(*port, "/echo"), std::make_pair(400L, std::string("no name")));
  EXPECT_EQ(Fetch(*port, "/other"), std::make_pair(404L, std::string("nothing at /other")));
  // The built-in endpoints still win over a catch-all.
  EXPECT_EQ(Fetch(*port, "/healthz"), std::make_pair(200L, std::string("ok")));
  server.Stop();
}

TEST(HttpServerTest, ServesHttpsAndGuardsMetrics) {
  const kube::ServingCertificate cert = kube::MakeServingCertificate("kfed-test");
  MetricsRegistry metrics;
  metrics.Counter("kfed_test_total", "A test counter.")->Add({}, 3);
  HttpServerOptions options;
  options.tls_cert_pem = cert.cert_chain_pem;
  options.tls_key_pem = cert.key_pem;
  options.metrics = &metrics;
  options.metrics_guard = [](const HttpRequest& request) -> std::optional<HttpResponse> {
    if (request.authorization == "Bearer good") return std::nullopt;
    return HttpResponse{401, "application/json", "{\"error\":\"no\"}",
                        {{"WWW-Authenticate", "Bearer realm=\"kfed\""}}};
  };
  auto server = MustCreate(nullptr, options);
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(server->tls());
  auto port = server->Start("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(Fetch(*port, "/healthz", cert.ca_pem), std::make_pair(200L, std::string("ok")));
  EXPECT_EQ(Fetch(*port, "/metrics", cert.ca_pem),
            std::make_pair(401L, std::string("{\"error\":\"no\"}")));
  auto [code, body] = Fetch(*port, "/metrics", cert.ca_pem, "Bearer good");
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("kfed_test_total 3\n"), std::string::npos) << body;
  // Not trusted without its CA, and no plain HTTP on the HTTPS port.
  const kube::ServingCertificate other = kube::MakeServingCertificate("other");
  EXPECT_EQ(Fetch(*port, "/healthz", other.ca_pem).first, 0);
  EXPECT_NE(Fetch(*port, "/healthz").first, 200);
  server->Stop();
}

TEST(HttpServerTest, BadTlsMaterialIsAClearError) {
  const kube::ServingCertificate cert = kube::MakeServingCertificate("kfed-test");
  const kube::ServingCertificate other = kube::MakeServingCertificate("other");
  struct Case {
    std::string cert, key, want;
  };
  const Case cases[] = {
      {"not a certificate", cert.key_pem, "not a PEM certificate"},
      {cert.cert_chain_pem, "not a key", "not a PEM private key"},
      {cert.cert_chain_pem, other.key_pem, "does not belong to the certificate"},
      {cert.cert_chain_pem, "", "both a certificate and a key"},
  };
  for (const Case& c : cases) {
    HttpServerOptions options;
    options.tls_cert_pem = c.cert;
    options.tls_key_pem = c.key;
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Create(nullptr, options);
    ASSERT_FALSE(server.ok()) << c.want;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(server.status().message().find(c.want), std::string::npos) << server.status();
  }
}

// A server stopped right after it started (a manager stopped before it led) stops: with
// cpp-httplib 0.11, stop() before the listening thread ran did nothing and Stop() waited
// forever (ManagerTest.StopWhileCampaigningNeverLeads hung in 2 of 20 runs under ASan).
TEST(HttpServerTest, StopRightAfterStartReturns) {
  for (int i = 0; i < 100; ++i) {
    auto server = MustCreate([] { return absl::OkStatus(); }, HttpServerOptions{});
    ASSERT_TRUE(server->Start("127.0.0.1:0").ok());
    server->Stop();
  }
}

TEST(HttpServerTest, ListenAddressForms) {
  EXPECT_EQ(*ParseListenAddress(":8080"), std::make_pair(std::string("0.0.0.0"), 8080));
  EXPECT_EQ(*ParseListenAddress("127.0.0.1:9090"), std::make_pair(std::string("127.0.0.1"), 9090));
  EXPECT_EQ(*ParseListenAddress("[::1]:1"), std::make_pair(std::string("::1"), 1));
  EXPECT_EQ(ParseListenAddress("8080").status().message(),
            "listen address \"8080\" must be host:port or :port");
  EXPECT_FALSE(ParseListenAddress(":99999").ok());
}

}  // namespace
}  // namespace kfed::controller
