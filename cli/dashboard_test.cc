// kfedctl dashboard's proxy against a stand-in for the controller manager's dashboard (HTTPS on
// loopback, a token required on /api/v1): the proxy adds the user's token and drops the
// browser's, verifies the server, and refuses what it must.
#include "cli/dashboard.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/testing.h"
#include "gmock/gmock.h"
#include "kube/fake_apiserver.h"
#include "kube/test_pki.h"

namespace kfed::cli {
namespace {

using ::kfed::testing::WriteTempFile;
using ::testing::HasSubstr;

TokenFunction Token(const std::string& token) {
  return [token]() -> absl::StatusOr<std::string> { return token; };
}

class DashboardProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = kube::testing::MakeCa("kfed-test-ca");
    leaf_ = kube::testing::MakeLeaf(ca_, "kfed-controller-manager",
                                    {"DNS:localhost", "IP:127.0.0.1"}, /*client=*/false);
    backend_ = std::make_unique<kube::testing::FakeApiServer>(&leaf_);
    auto api = [this](const httplib::Request& req, httplib::Response& res) {
      {
        absl::MutexLock lock(&mu_);
        seen_auth_.push_back(req.get_header_value("Authorization"));
        seen_targets_.push_back(req.target);
        seen_cookie_ = req.get_header_value("Cookie");
      }
      if (req.get_header_value("Authorization") != "Bearer user-token") {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer realm=\"kfed\"");
        res.set_content(R"({"error":"invalid bearer token"})", "application/json");
        return;
      }
      if (req.path == "/api/v1/whoami") {
        res.set_content(R"({"username":"alice","groups":["devs"]})", "application/json");
        return;
      }
      res.set_content(absl::StrCat(R"({"path":")", req.path, R"("})"), "application/json");
    };
    backend_->http().Get("/api/v1/.*", api);
    backend_->http().Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("<!doctype html><title>kfed</title>", "text/html; charset=utf-8");
    });
    backend_->Start();
    options_.port = 0;
    options_.dashboard_addr = backend_->url();
    options_.dashboard_ca_file = WriteTempFile("dashboard-ca.crt", ca_.cert_pem);
  }

  std::unique_ptr<DashboardProxy> StartProxy(const DashboardOptions& options,
                                             const std::string& token = "user-token") {
    absl::StatusOr<std::unique_ptr<DashboardProxy>> proxy =
        DashboardProxy::Start(options, Token(token));
    EXPECT_TRUE(proxy.ok()) << proxy.status();
    return proxy.ok() ? std::move(*proxy) : nullptr;
  }

  std::vector<std::string> SeenAuth() {
    absl::MutexLock lock(&mu_);
    return seen_auth_;
  }

  kube::testing::KeyPair ca_, leaf_;
  std::unique_ptr<kube::testing::FakeApiServer> backend_;
  DashboardOptions options_;
  absl::Mutex mu_;
  std::vector<std::string> seen_auth_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> seen_targets_ ABSL_GUARDED_BY(mu_);
  std::string seen_cookie_ ABSL_GUARDED_BY(mu_);
};

TEST_F(DashboardProxyTest, ForwardsWithTheUsersTokenInsteadOfTheBrowsers) {
  std::unique_ptr<DashboardProxy> proxy = StartProxy(options_);
  ASSERT_NE(proxy, nullptr);
  EXPECT_EQ(proxy->url(), absl::StrCat("http://127.0.0.1:", proxy->port(), "/"));
  httplib::Client browser("127.0.0.1", proxy->port());
  httplib::Result r = browser.Get("/api/v1/whoami", {{"Authorization", "Bearer browser-token"},
                                                     {"Cookie", "session=other-app"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"username":"alice","groups":["devs"]})");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");

  // The query goes through byte for byte (a long poll's resume point and timeout).
  browser.set_url_encode(false);  // as a browser sends it
  r = browser.Get("/api/v1/watch?resume_from=5&timeout_seconds=30&q=a%2Bb+c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"path":"/api/v1/watch"})");
  r = browser.Get("/");
  ASSERT_TRUE(r);
  EXPECT_THAT(r->body, HasSubstr("<title>kfed</title>"));

  absl::MutexLock lock(&mu_);
  EXPECT_EQ(seen_auth_, std::vector<std::string>(2, "Bearer user-token"));
  EXPECT_EQ(seen_targets_.back(), "/api/v1/watch?resume_from=5&timeout_seconds=30&q=a%2Bb+c");
  EXPECT_EQ(seen_cookie_, "");
}

TEST_F(DashboardProxyTest, ARejectedTokenComesBackAs401WithTheServersMessage) {
  std::unique_ptr<DashboardProxy> proxy = StartProxy(options_, "stale-token");
  ASSERT_NE(proxy, nullptr);
  httplib::Client browser("127.0.0.1", proxy->port());
  // The browser's (valid) token does not get through: the proxy sends the user's.
  httplib::Result r = browser.Get("/api/v1/objects", {{"Authorization", "Bearer user-token"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->body, R"({"error":"invalid bearer token"})");
  EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"kfed\"");
  EXPECT_EQ(SeenAuth(), std::vector<std::string>{"Bearer stale-token"});

  absl::StatusOr<std::string> who = DashboardWhoami(options_, Token("stale-token"));
  EXPECT_EQ(who.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(who.status().message(), HasSubstr("invalid bearer token"));
  EXPECT_EQ(*DashboardWhoami(options_, Token("user-token")), "alice");
}

TEST_F(DashboardProxyTest, VerifiesTheDashboardsCertificate) {
  DashboardOptions o = options_;
  o.dashboard_ca_file = "";  // the system's roots do not know the test CA
  std::unique_ptr<DashboardProxy> proxy = StartProxy(o);
  ASSERT_NE(proxy, nullptr);
  httplib::Client browser("127.0.0.1", proxy->port());
  httplib::Result r = browser.Get("/api/v1/whoami");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_THAT(r->body, HasSubstr("--dashboard-ca-file"));
  EXPECT_TRUE(SeenAuth().empty()) << "the token went to an unverified server";

  o.insecure_skip_tls_verify = true;
  std::unique_ptr<DashboardProxy> trusting = StartProxy(o);
  ASSERT_NE(trusting, nullptr);
  r = httplib::Client("127.0.0.1", trusting->port()).Get("/api/v1/whoami");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(DashboardProxyTest, RefusesOtherHostsAndMethods) {
  std::unique_ptr<DashboardProxy> proxy = StartProxy(options_);
  ASSERT_NE(proxy, nullptr);
  httplib::Client browser("127.0.0.1", proxy->port());
  // A page on another name rebound to 127.0.0.1 sends its own Host.
  httplib::Result r = browser.Get("/api/v1/objects", {{"Host", "evil.example.com:8001"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  r = browser.Get("/api/v1/objects", {{"Host", "localhost:8001"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = browser.Post("/api/v1/objects", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(SeenAuth().size(), 1u);
}

TEST_F(DashboardProxyTest, ListensOnLoopbackOnlyAndSendsTokensOverTlsOnly) {
  DashboardOptions o = options_;
  o.address = "0.0.0.0";
  absl::Status s = DashboardProxy::Start(o, Token("t")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("loopback only"));

  o = options_;
  o.dashboard_addr = "http://10.1.2.3:9090";  // never dialled
  s = DashboardProxy::Start(o, Token("t")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unencrypted"));

  for (const char* bad : {"127.0.0.1:9090", "https://127.0.0.1:9090/dashboard", "https://:9090",
                          "https://127.0.0.1:99999"}) {
    o.dashboard_addr = bad;
    EXPECT_EQ(DashboardProxy::Start(o, Token("t")).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  o = options_;
  o.dashboard_ca_file = WriteTempFile("not-a-cert", "hello");
  EXPECT_EQ(DashboardProxy::Start(o, Token("t")).status().code(),
            absl::StatusCode::kInvalidArgument);

  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("[::1]"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.nip.io"));
}

TEST_F(DashboardProxyTest, AnUnreachableDashboardIsExplained) {
  DashboardOptions o = options_;
  o.dashboard_addr = "https://127.0.0.1:1";  // nothing listens on port 1
  std::unique_ptr<DashboardProxy> proxy = StartProxy(o);
  ASSERT_NE(proxy, nullptr);
  httplib::Result r = httplib::Client("127.0.0.1", proxy->port()).Get("/api/v1/objects");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_THAT(r->body, HasSubstr("port-forward"));
  EXPECT_EQ(DashboardWhoami(o, Token("t")).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace kfed::cli
