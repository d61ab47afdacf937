#include "controller/events.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"

namespace kfed::controller {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::Json;

const kube::GroupVersionResource kEvents{"", "v1", "events", true, "Event"};

rapidjson::Document Object(const std::string& name, const std::string& uid) {
  return Json(
      R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedConfigMap","metadata":{"name":")" +
      name + R"(","namespace":"ns","uid":")" + uid + R"(","resourceVersion":"7"}})");
}

// Messages of the events written so far, in order of creation.
std::vector<std::string> Messages(kube::FakeClient& client) {
  std::vector<std::string> out;
  absl::StatusOr<kube::ObjectList> list = client.List(kEvents, "ns", {});
  if (!list.ok()) return out;
  for (const kube::ObjectPtr& e : list->items) out.push_back(json::GetString(*e, "message"));
  return out;
}

// How long the recorder's writer thread may take to get where a test waits for it.
constexpr absl::Duration kWait = absl::Seconds(10);

TEST(MergedMessageTest, NamesEveryClusterOrDetail) {
  EXPECT_EQ(EventRecorder::MergedMessage("create ConfigMap ns/a", {"m1"}, {""}),
            "create ConfigMap ns/a in cluster m1");
  EXPECT_EQ(EventRecorder::MergedMessage("create ConfigMap ns/a", {"m1", "m2", "m3"}, {"", "", ""}),
            "create ConfigMap ns/a in clusters m1, m2, m3");
  EXPECT_EQ(EventRecorder::MergedMessage("update ConfigMap ns/a", {"m1", "m2"}, {"forbidden", ""}),
            "cluster m1: forbidden; cluster m2: update ConfigMap ns/a");
}

// While an event waits for the recorder's limiter, later ones about the same object and
// reason are folded into it; other objects and reasons stay separate; nothing is lost.
TEST(EventRecorderTest, MergesQueuedEventsPerObjectAndReason) {
  FakeClock clock;
  kube::FakeClient client(clock);
  EventRecorderOptions options;
  options.qps = 1;
  options.burst = 1;
  auto recorder = std::make_unique<EventRecorder>(client, "kfed-test", clock, options);
  rapidjson::Document a = Object("a", "uid-a");
  rapidjson::Document b = Object("b", "uid-b");

  recorder->RecordForCluster(a, false, "CreateInCluster", "create ConfigMap ns/a", "m1", "");
  ASSERT_TRUE(Eventually([&] { return Messages(client).size() == 1; }, kWait));
  // The writer now waits a second (fake) for its next token.
  ASSERT_TRUE(Eventually([&] { return clock.Sleepers() == 1; }, kWait));
  recorder->RecordForCluster(a, false, "CreateInCluster", "create ConfigMap ns/a", "m2", "");
  recorder->RecordForCluster(b, false, "CreateInCluster", "create ConfigMap ns/b", "m1", "");
  recorder->RecordForCluster(a, false, "CreateInCluster", "create ConfigMap ns/a", "m3", "");
  recorder->RecordForCluster(a, true, "UpdateInClusterFailed", "update ConfigMap ns/a", "m2",
                             "denied");
  EXPECT_EQ(recorder->merged(), 1u);

  for (size_t want = 2; want <= 4; ++want) {
    clock.Advance(absl::Seconds(1));
    ASSERT_TRUE(Eventually([&] { return Messages(client).size() == want; }, kWait)) << want;
    ASSERT_TRUE(Eventually([&] { return clock.Sleepers() == 1; }, kWait));
  }
  std::vector<std::string> messages = Messages(client);
  std::sort(messages.begin(), messages.end());
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "cluster m2: denied",
                          "create ConfigMap ns/a in cluster m1",
                          "create ConfigMap ns/a in clusters m2, m3",
                          "create ConfigMap ns/b in cluster m1",
                      }));
  EXPECT_EQ(recorder->written(), 4u);
  EXPECT_EQ(recorder->dropped(), 0u);

  // Stop joins the writer, which sleeps on the fake clock: keep time moving meanwhile.
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    recorder->Stop();
    stopped = true;
  });
  while (!stopped) {
    clock.Advance(absl::Seconds(1));
    absl::SleepFor(absl::Milliseconds(1));
  }
  stopper.join();
}

}  // namespace
}  // namespace kfed::controller
