#include "kube/transport.h"

#include <sys/stat.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/errors.h"
#include "kube/fake_apiserver.h"
#include "kube/request_metrics.h"
#include "kube/test_pki.h"

namespace kfed::kube {
namespace {

using testing::ClockDriver;
using testing::FakeApiServer;
using testing::KeyPair;

constexpr char kToken[] = "bearer-secret-0123456789";

class TransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyPair(testing::MakeCa("kfed-test-ca"));
    other_ca_ = new KeyPair(testing::MakeCa("other-ca"));
    good_ = new KeyPair(testing::MakeLeaf(*ca_, "localhost", {"DNS:localhost", "DNS:kube.internal", "IP:127.0.0.1"}, false));
    expired_ = new KeyPair(testing::MakeLeaf(*ca_, "localhost", {"IP:127.0.0.1"}, false,
                                             absl::Hours(-48), absl::Hours(-24)));
    misnamed_ = new KeyPair(testing::MakeLeaf(*ca_, "elsewhere", {"DNS:elsewhere.example"}, false));
  }
  static KeyPair *ca_, *other_ca_, *good_, *expired_, *misnamed_;
};
KeyPair *TransportTest::ca_, *TransportTest::other_ca_, *TransportTest::good_,
    *TransportTest::expired_, *TransportTest::misnamed_;

HttpRequest Get(std::string path) {
  HttpRequest r;
  r.path = std::move(path);
  return r;
}

TEST_F(TransportTest, SendsTokenAndUserAgentOverTls) {
  FakeApiServer server(good_);
  server.http().Get("/version", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != absl::StrCat("Bearer ", kToken) ||
        !absl::StartsWith(req.get_header_value("User-Agent"), "kfed/")) {
      res.status = 401;
      return;
    }
    res.set_content(R"({"gitVersion":"v1.36.3"})", "application/json");
  });
  server.Start();
  RestConfig config = server.Config(ca_->cert_pem);
  config.bearer_token = kToken;
  auto t = Transport::Create(config);
  ASSERT_TRUE(t.ok()) << t.status();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<HttpResponse> r = (*t)->Do(Get("/version"));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"gitVersion":"v1.36.3"})");
    EXPECT_EQ(r->content_type, "application/json");
  }
}

TEST_F(TransportTest, TlsServerNameOverridesVerifiedName) {
  FakeApiServer server(misnamed_);
  server.http().Get("/readyz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server.Start();
  RestConfig config = server.Config(ca_->cert_pem);
  auto t = Transport::Create(config);
  ASSERT_TRUE(t.ok());
  absl::StatusOr<HttpResponse> r = (*t)->Do(Get("/readyz"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();

  config.tls_server_name = "elsewhere.example";
  t = Transport::Create(config);
  r = (*t)->Do(Get("/readyz"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "ok");

  config.tls_server_name = "";
  config.skip_hostname_verification = true;  // KubeFed SubjectName
  t = Transport::Create(config);
  r = (*t)->Do(Get("/readyz"));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(TransportTest, WrongCaIsRejected) {
  FakeApiServer server(good_);
  server.http().Get("/readyz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server.Start();
  RestConfig config = server.Config(other_ca_->cert_pem);
  config.bearer_token = kToken;
  auto t = Transport::Create(config);
  absl::StatusOr<HttpResponse> r = (*t)->Do(Get("/readyz"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_FALSE(absl::StrContains(r.status().message(), kToken));
  EXPECT_EQ((*t)->requests_sent(), 1);  // verification failures are not retried

  config.insecure_skip_tls_verify = true;
  t = Transport::Create(config);
  EXPECT_TRUE((*t)->Do(Get("/readyz")).ok());
}

TEST_F(TransportTest, ExpiredCertificate) {
  FakeApiServer server(expired_);
  server.http().Get("/readyz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server.Start();
  RestConfig config = server.Config(ca_->cert_pem);
  auto t = Transport::Create(config);
  absl::StatusOr<HttpResponse> r = (*t)->Do(Get("/readyz"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "expired")) << r.status();

  config.skip_validity_period = true;  // KubeFed ValidityPeriod
  t = Transport::Create(config);
  r = (*t)->Do(Get("/readyz"));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(TransportTest, RetriesServerErrorsOnIdempotentVerbsOnly) {
  FakeApiServer server;
  std::atomic<int> gets{0}, posts{0};
  server.http().Get("/api", [&](const httplib::Request&, httplib::Response& res) {
    if (++gets <= 2) {
      res.status = 500;
      return;
    }
    res.set_content("{}", "application/json");
  });
  server.http().Post("/api", [&](const httplib::Request&, httplib::Response& res) {
    ++posts;
    res.status = 503;
  });
  server.Start();
  FakeClock clock;
  ClockDriver driver(clock, absl::Milliseconds(50));
  auto t = Transport::Create(server.Config(), clock);
  absl::Time start = clock.Now();
  absl::StatusOr<HttpResponse> r = (*t)->Do(Get("/api"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(gets.load(), 3);
  EXPECT_GE(clock.Now() - start, absl::Milliseconds(600));  // 200ms + 400ms backoff

  HttpRequest post = Get("/api");
  post.method = "POST";
  post.body = "{}";
  r = (*t)->Do(post);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(posts.load(), 1);
}

TEST_F(TransportTest, HonoursRetryAfterOn429) {
  FakeApiServer server;
  std::atomic<int> calls{0};
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 429;
      res.set_header("Retry-After", "3");
      return;
    }
    res.status = 201;
  });
  server.Start();
  FakeClock clock;
  ClockDriver driver(clock, absl::Milliseconds(100));
  auto t = Transport::Create(server.Config(), clock);
  HttpRequest post = Get("/x");
  post.method = "POST";
  absl::Time start = clock.Now();
  absl::StatusOr<HttpResponse> r = (*t)->Do(post);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(calls.load(), 2);  // 429 is retried even for POST: the server did nothing
  EXPECT_GE(clock.Now() - start, absl::Seconds(3));
}

// A retry wait (here an hour of Retry-After on a fake clock that never moves) ends as soon as
// the request's token, or the transport's, is cancelled.
TEST_F(TransportTest, CancelWakesARetryWait) {
  FakeApiServer server;
  std::atomic<int> calls{0};
  server.http().Get("/busy", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 503;
    res.set_header("Retry-After", "3600");
  });
  server.Start();
  FakeClock clock;
  auto t = Transport::Create(server.Config(), clock);
  ASSERT_TRUE(t.ok()) << t.status();

  CancellationToken cancel;
  HttpRequest request = Get("/busy");
  request.cancel = &cancel;
  absl::StatusOr<HttpResponse> r;
  std::thread caller([&] { r = (*t)->Do(request); });
  clock.AwaitSleepers(1);  // parked in the wait between attempts
  cancel.Cancel();
  caller.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "last attempt: HTTP 503"))
      << r.status();
  EXPECT_EQ(calls.load(), 1);

  // The transport's own token: every retry wait, now and later.
  caller = std::thread([&] { r = (*t)->Do(Get("/busy")); });
  clock.AwaitSleepers(1);
  (*t)->CancelRetries();
  caller.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_EQ(calls.load(), 2);
  r = (*t)->Do(Get("/busy"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(clock.Sleepers(), 0);
}

// client-go's request-result hook: one (code, method, host) per attempt on the wire.
TEST_F(TransportTest, ReportsEachAttemptsResultToRequestObservers) {
  FakeApiServer server;
  std::atomic<int> gets{0};
  server.http().Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++gets == 1) {
      res.status = 500;
      return;
    }
    res.set_content("{}", "application/json");
  });
  server.Start();
  absl::Mutex mu;
  std::vector<std::string> seen;  // guarded by mu
  const int id = AddRequestResultObserver(
      [&](absl::string_view code, absl::string_view method, absl::string_view host) {
        absl::MutexLock lock(&mu);
        seen.push_back(absl::StrCat(code, " ", method, " ", host));
      });
  FakeClock clock;
  ClockDriver driver(clock, absl::Milliseconds(50));
  RestConfig config = server.Config();
  auto t = Transport::Create(config, clock);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Do(Get("/flaky")).ok());
  HttpRequest post = Get("/nowhere");
  post.method = "POST";
  ASSERT_TRUE((*t)->Do(post).ok());  // a 404 is an answer
  RemoveRequestResultObserver(id);
  ASSERT_TRUE((*t)->Do(Get("/flaky")).ok());  // not seen any more
  const std::string host = RequestHost(config.server);
  EXPECT_TRUE(absl::StartsWith(host, "127.0.0.1:")) << host;
  absl::MutexLock lock(&mu);
  EXPECT_EQ(seen, (std::vector<std::string>{absl::StrCat("500 GET ", host),
                                            absl::StrCat("200 GET ", host),
                                            absl::StrCat("404 POST ", host)}));
}

TEST(RequestHostTest, IsTheUrlsHostAndPort) {
  EXPECT_EQ(RequestHost("https://10.0.0.1:6443"), "10.0.0.1:6443");
  EXPECT_EQ(RequestHost("https://kube.example/prefix/"), "kube.example");
  EXPECT_EQ(RequestHost("http://user@[::1]:8080?x"), "[::1]:8080");
  EXPECT_EQ(RequestHost("127.0.0.1:6443"), "127.0.0.1:6443");
}

TEST_F(TransportTest, SlowResponseTimesOut) {
  // Declared before the server: the server's handler thread may still be inside
  // WaitForNotificationWithTimeout when the test body ends, so `release` must outlive the
  // server (TSan found the Notification destroyed under a waiting handler).
  absl::Notification release;
  FakeApiServer server;
  server.http().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    release.WaitForNotificationWithTimeout(absl::Seconds(5));
    res.set_content("late", "text/plain");
  });
  server.Start();
  RestConfig config = server.Config();
  config.max_retries = 0;
  auto t = Transport::Create(config);
  HttpRequest r = Get("/slow");
  r.timeout = absl::Milliseconds(200);
  absl::StatusOr<HttpResponse> resp = (*t)->Do(r);
  release.Notify();
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded) << resp.status();
}

TEST_F(TransportTest, StreamDeliversChunksAndMapsErrors) {
  FakeApiServer server;
  server.http().Get("/stream", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [](size_t offset, httplib::DataSink& sink) {
      sink.write("{\"a\":1}\n", 8);
      sink.write("{\"a\":2}\n", 8);
      sink.done();
      return true;
    });
  });
  server.http().Get("/html", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html>login</html>", "text/html");
  });
  server.http().Get("/gone", [](const httplib::Request&, httplib::Response& res) {
    res.status = 410;
    res.set_content(R"({"kind":"Status","reason":"Expired","message":"too old","code":410})",
                    "application/json");
  });
  server.Start();
  auto t = Transport::Create(server.Config());
  std::string got;
  absl::Status s = (*t)->Stream(Get("/stream"), [&](absl::string_view d) {
    got.append(d.data(), d.size());
    return true;
  }, nullptr);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(got, "{\"a\":1}\n{\"a\":2}\n");
  s = (*t)->Stream(Get("/html"), [](absl::string_view) { return true; }, nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(s.message(), "unexpected content type \"text/html\"")) << s;
  s = (*t)->Stream(Get("/gone"), [](absl::string_view) { return true; }, nullptr);
  EXPECT_TRUE(kube::IsGone(s)) << s;
  EXPECT_EQ(Reason(s), "Expired");
}

// The server sends one chunk and then nothing: only the cancel (from another thread, while
// Stream waits for data) can end the stream.
TEST_F(TransportTest, StreamStopsWhenCancelled) {
  absl::Notification server_done;  // outlives the server, whose handler waits on it
  FakeApiServer server;
  server.http().Get("/forever", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](size_t offset, httplib::DataSink& sink) {
      if (offset == 0) {
        sink.write("{}\n", 3);
        return true;
      }
      server_done.WaitForNotificationWithTimeout(absl::Seconds(60));
      return false;
    });
  });
  server.Start();
  auto t = Transport::Create(server.Config());
  CancellationToken stop;
  absl::Notification first_chunk;
  std::thread stopper([&] {
    first_chunk.WaitForNotification();
    stop.Cancel();
  });
  absl::Status s = (*t)->Stream(Get("/forever"), [&](absl::string_view) {
    if (!first_chunk.HasBeenNotified()) first_chunk.Notify();
    return true;
  }, &stop);
  stopper.join();
  server_done.Notify();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
}

TEST_F(TransportTest, RejectsBadServerUrl) {
  RestConfig config;
  config.server = "ftp://x";
  config.source = "kubeconfig /k";
  EXPECT_EQ(Transport::Create(config).status().message(),
            "kubeconfig /k: server \"ftp://x\" is not an http(s) URL");
}

TEST_F(TransportTest, ExecTokenRefreshedOnExpiryAndOn401) {
  const std::string plugin = ::kfed::testing::WriteTempFile(
      "exec-plugin.sh",
      absl::StrCat(
          "#!/bin/sh\nf=", ::kfed::testing::TempPath("exec-count"),
          "\nn=$(( $(cat $f 2>/dev/null || echo 0) + 1 ))\n",
          "echo $n > $f\nexp=2099-01-01T00:00:00Z\n[ $n -eq 1 ] && exp=2023-11-14T22:23:20Z\n",
          "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",",
          "\"status\":{\"token\":\"exec-token-'$n'\",\"expirationTimestamp\":\"'$exp'\"}}'\n"));
  chmod(plugin.c_str(), 0755);
  FakeApiServer server;
  std::mutex mu;
  std::vector<std::string> seen;
  server.http().Get("/version", [&](const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    {
      std::lock_guard<std::mutex> l(mu);
      seen.push_back(auth);
    }
    if (auth == "Bearer exec-token-2") {
      res.status = 401;  // revoked early
      return;
    }
    res.set_content("{}", "application/json");
  });
  server.Start();
  FakeClock clock;  // 2023-11-14T22:13:20Z; the plugin's first token expires 10 minutes later
  RestConfig config = server.Config();
  ExecConfig exec;
  exec.command = plugin;
  ASSERT_TRUE(RunExecPlugin(exec, "test", config).ok());
  config.exec = exec;
  auto t = Transport::Create(config, clock);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Do(Get("/version")).ok());
  clock.Advance(absl::Minutes(10));
  absl::StatusOr<HttpResponse> r = (*t)->Do(Get("/version"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(seen, (std::vector<std::string>{"Bearer exec-token-1", "Bearer exec-token-2",
                                            "Bearer exec-token-3"}));
}

TEST(QueryEscapeTest, Escapes) {
  EXPECT_EQ(QueryEscape("app=a,tier in (x, y)"), "app%3Da%2Ctier%20in%20%28x%2C%20y%29");
}

}  // namespace
}  // namespace kfed::kube
