#include "kube/watch.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/errors.h"
#include "kube/fake_apiserver.h"

namespace kfed::kube {
namespace {

using testing::FakeApiServer;

ResumingWatchOptions FastOptions(std::string rv) {
  ResumingWatchOptions o;
  o.watch.resource_version = std::move(rv);
  o.initial_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(5);
  o.min_watch_duration = absl::ZeroDuration();
  return o;
}

std::string Event(absl::string_view type, absl::string_view name, int rv) {
  return absl::StrCat(R"({"type":")", type, R"(","object":{"metadata":{"name":")", name,
                      R"(","resourceVersion":")", rv, "\"}}}\n");
}

std::unique_ptr<RestClient> NewClient(const FakeApiServer& server) {
  RestConfig config = server.Config();
  config.max_retries = 0;
  auto c = RestClient::Create(config);
  CHECK(c.ok());
  return *std::move(c);
}

TEST(ResumingWatchTest, ResumesAfterCutAndServerTimeoutThenReportsGone) {
  FakeApiServer server;
  std::atomic<int> connection{0};
  std::vector<std::string> versions(8);
  server.http().Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request& req, httplib::Response& res) {
    int n = connection++;
    versions[n] = req.get_param_value("resourceVersion");
    res.set_chunked_content_provider("application/json", [n](size_t, httplib::DataSink& sink) {
      std::string out;
      switch (n) {
        case 0:  // one event, then the connection drops in the middle of the next
          out = Event("ADDED", "a", 11) + R"({"type":"MODIFIED","object":{"meta)";
          sink.write(out.data(), out.size());
          return false;
        case 1:  // a bookmark, then a clean close (server-side timeoutSeconds)
          out = Event("MODIFIED", "a", 12) + Event("BOOKMARK", "", 15);
          sink.write(out.data(), out.size());
          sink.done();
          return true;
        default:  // the version is now too old
          out = R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 15 (20)","reason":"Expired","code":410}})j" "\n";
          sink.write(out.data(), out.size());
          sink.done();
          return true;
      }
    });
  });
  server.Start();
  auto client = NewClient(server);
  ResumingWatch watch(*client, ConfigMapsResource(), "ns", FastOptions("10"));
  std::vector<std::string> got;
  absl::Status s = watch.Run([&](const WatchEvent& e) {
    got.push_back(absl::StrCat(WatchEventTypeName(e.type), " ", Name(*e.object)));
    return true;
  }, nullptr);
  EXPECT_TRUE(kube::IsGone(s)) << s;
  EXPECT_EQ(got, (std::vector<std::string>{"ADDED a", "MODIFIED a"}));
  EXPECT_EQ(watch.connections(), 3);
  EXPECT_EQ(versions[0], "10");
  EXPECT_EQ(versions[1], "11");  // resumed after the cut
  EXPECT_EQ(versions[2], "15");  // resumed from the bookmark
  EXPECT_EQ(watch.resource_version(), "15");
}

TEST(ResumingWatchTest, RetriesServerErrorsAndStopsOnForbidden) {
  FakeApiServer server;
  std::atomic<int> connection{0};
  server.http().Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request&, httplib::Response& res) {
    int n = connection++;
    if (n < 2) {
      res.status = 500;
      res.set_content(R"({"kind":"Status","reason":"InternalError","message":"etcd","code":500})", "application/json");
    } else if (n == 2) {
      res.status = 410;
      res.set_content(R"({"kind":"Status","reason":"Expired","message":"gone","code":410})", "application/json");
    } else {
      res.status = 403;
      res.set_content(R"({"kind":"Status","reason":"Forbidden","message":"no","code":403})", "application/json");
    }
  });
  server.Start();
  auto client = NewClient(server);
  auto noop = [](const WatchEvent&) { return true; };
  ResumingWatch watch(*client, ConfigMapsResource(), "ns", FastOptions("1"));
  absl::Status s = watch.Run(noop, nullptr);
  EXPECT_TRUE(kube::IsGone(s)) << s;  // after two retried 500s, an HTTP 410
  EXPECT_EQ(watch.connections(), 3);
  ResumingWatch watch2(*client, ConfigMapsResource(), "ns", FastOptions("1"));
  s = watch2.Run(noop, nullptr);
  EXPECT_TRUE(kube::IsForbidden(s)) << s;
}

TEST(ResumingWatchTest, FakeClientCloseAndStop) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  ResumingWatch watch(c, cms, "ns", FastOptions(absl::StrCat(c.CurrentResourceVersion())));
  CancellationToken stop;
  std::vector<std::string> got;
  absl::Mutex mu;
  std::thread runner([&] {
    absl::Status s = watch.Run([&](const WatchEvent& e) {
      absl::MutexLock l(&mu);
      got.push_back(Name(*e.object));
      return true;
    }, &stop);
    EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  });
  auto obj = json::Parse(R"({"metadata":{"name":"x","namespace":"ns"}})");
  auto wait_for = [&](size_t n) {
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return got.size() >= n; };
    absl::MutexLock l(&mu);
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  };
  ASSERT_TRUE(::kfed::testing::Eventually([&] { return c.ActiveWatches() > 0; }));
  ASSERT_TRUE(c.Create(cms, "", *obj, WriteOptions()).ok());
  ASSERT_TRUE(wait_for(1));
  c.CloseWatches();  // like a server-side timeout: the watch must resume, not replay
  EXPECT_TRUE(
      ::kfed::testing::Eventually([&] { return watch.connections() >= 2; }, absl::Seconds(10)));
  auto obj2 = json::Parse(R"({"metadata":{"name":"y","namespace":"ns"}})");
  ASSERT_TRUE(c.Create(cms, "", *obj2, WriteOptions()).ok());
  ASSERT_TRUE(wait_for(2));
  stop.Cancel();
  runner.join();
  EXPECT_EQ(got, (std::vector<std::string>{"x", "y"}));  // nothing lost or repeated across the close
  EXPECT_GE(watch.connections(), 2);
}

// A watch backing off on a fake clock that never moves: only the cancel can wake it.
TEST(ResumingWatchTest, CancelWakesBackoffOnFakeClock) {
  FakeClock clock;
  FakeClient c(clock);
  c.InjectError("watch", "configmaps", absl::UnavailableError("connection refused"));
  ResumingWatchOptions o = FastOptions("1");
  o.initial_backoff = absl::Hours(1);
  o.max_backoff = absl::Hours(1);
  ResumingWatch watch(c, ConfigMapsResource(), "ns", o, clock);
  CancellationToken stop;
  absl::Status s;
  std::thread runner([&] { s = watch.Run([](const WatchEvent&) { return true; }, &stop); });
  clock.AwaitSleepers(1);  // in its backoff
  EXPECT_EQ(watch.connections(), 1);
  stop.Cancel();
  runner.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_EQ(watch.connections(), 1);
}

// The same backoff ends when the fake clock reaches it: the watch reconnects.
TEST(ResumingWatchTest, AdvanceEndsBackoffOnFakeClock) {
  FakeClock clock;
  FakeClient c(clock);
  c.InjectError("watch", "configmaps", absl::UnavailableError("connection refused"));
  ResumingWatchOptions o = FastOptions(absl::StrCat(c.CurrentResourceVersion()));
  o.initial_backoff = absl::Seconds(10);
  o.max_backoff = absl::Seconds(10);
  ResumingWatch watch(c, ConfigMapsResource(), "ns", o, clock);
  CancellationToken stop;
  std::string got;
  std::thread runner([&] {
    EXPECT_TRUE(watch.Run([&](const WatchEvent& e) {
      got = Name(*e.object);
      return false;  // the first event ends the run
    }, &stop).ok());
  });
  clock.AwaitSleepers(1);
  clock.Advance(absl::Seconds(12));  // past the backoff with +-10% jitter
  auto obj = json::Parse(R"({"metadata":{"name":"after","namespace":"ns"}})");
  ASSERT_TRUE(c.Create(ConfigMapsResource(), "", *obj, WriteOptions()).ok());
  runner.join();
  EXPECT_EQ(got, "after");
  EXPECT_EQ(watch.connections(), 2);
}

}  // namespace
}  // namespace kfed::kube
