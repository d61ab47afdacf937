#include "controller/http_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>

namespace kfed::controller {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::pair<long, std::string> Fetch(int port, const std::string& path) {
  CURL* curl = curl_easy_init();
  std::string body;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  return {code, body};
}

TEST(HttpServerTest, ServesHealthReadinessAndMetrics) {
  MetricsRegistry metrics;
  metrics.Counter("kfed_test_total", "A test counter.")->Add({}, 7);
  std::atomic<bool> synced{false};
  HttpServer server(&metrics, [&]() -> absl::Status {
    return synced ? absl::OkStatus() : absl::UnavailableError("caches of member1 not synced");
  });
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
  MetricsRegistry metrics;
  HttpServer server(&metrics, nullptr);
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
