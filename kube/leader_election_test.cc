#include "kube/leader_election.h"

#include <atomic>
#include <thread>

#include "base/cancellation.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"

namespace kfed::kube {
namespace {

LeaderElectionConfig Config(const std::string& id, bool release = true) {
  LeaderElectionConfig c;
  c.lease_namespace = "kube-federation-system";
  c.lease_name = "kfed-controller";
  c.identity = id;
  c.release_on_cancel = release;
  return c;
}

// Runs an elector on its own thread.
class Candidate {
 public:
  Candidate(Client& client, LeaderElectionConfig config, Clock& clock) {
    config.on_started_leading = [this] { ++started_; };
    config.on_stopped_leading = [this] { ++stopped_; };
    elector_ = *LeaderElector::Create(client, std::move(config), clock);
    thread_ = std::thread([this] { elector_->Run(&stop_); });
  }
  ~Candidate() { Stop(); }
  void Stop() {
    stop_.Cancel();
    if (thread_.joinable()) thread_.join();
  }
  LeaderElector& elector() { return *elector_; }
  int started() const { return started_; }
  int stopped() const { return stopped_; }

 private:
  std::unique_ptr<LeaderElector> elector_;
  CancellationToken stop_;
  std::thread thread_;
  std::atomic<int> started_{0}, stopped_{0};
};

using ::kfed::testing::Eventually;

// Lets the candidates' loops act on the fake time: true once each of `candidates` threads is
// parked on the clock (or `done` holds). Never a fixed sleep, so a loaded machine (CI, the
// sanitizers) cannot make the clock run ahead of a candidate that has not yet renewed.
template <typename F>
bool Parked(FakeClock& clock, F done, int candidates) {
  return Eventually([&] { return done() || clock.Sleepers() >= candidates; });
}

// Advances the fake clock half a second at a time, each step only once the candidates are
// parked, until `done` (true) or `max_fake` of fake time has passed (false).
template <typename F>
bool AdvanceUntil(FakeClock& clock, F done, absl::Duration max_fake = absl::Seconds(120),
                  int candidates = 1) {
  absl::Time fake_limit = clock.Now() + max_fake;
  for (;;) {
    if (!Parked(clock, done, candidates)) return false;
    if (done()) return true;
    if (clock.Now() > fake_limit) return false;
    clock.Advance(absl::Milliseconds(500));
  }
}

using ::kfed::testing::Eventually;

TEST(LeaderElectionTest, OneLeaderAndReleaseOnShutdown) {
  FakeClient client;
  FakeClock clock;
  Candidate a(client, Config("a"), clock);
  ASSERT_TRUE(Eventually([&] { return a.elector().IsLeader(); }));
  Candidate b(client, Config("b"), clock);
  ASSERT_TRUE(Eventually([&] { return b.elector().Leader() == "a"; }));
  EXPECT_FALSE(b.elector().IsLeader());

  a.Stop();
  EXPECT_EQ(a.stopped(), 1);
  auto lease = client.Get(LeasesResource(), "kube-federation-system", "kfed-controller");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(json::GetString(*json::Find(**lease, "spec"), "holderIdentity"), "");
  // b takes over at its next retry, without waiting for the lease to expire.
  absl::Time before = clock.Now();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return b.elector().IsLeader(); }));
  EXPECT_LT(clock.Now() - before, absl::Seconds(15));
  EXPECT_EQ(b.started(), 1);
}

TEST(LeaderElectionTest, FailoverAfterLeaseExpires) {
  FakeClient client;
  FakeClock clock;
  Candidate a(client, Config("a", /*release=*/false), clock);
  ASSERT_TRUE(Eventually([&] { return a.elector().IsLeader(); }));
  Candidate b(client, Config("b"), clock);
  ASSERT_TRUE(Eventually([&] { return b.elector().Leader() == "a"; }));
  a.Stop();  // "crashes": the lease is left held
  absl::Time before = clock.Now();
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return b.elector().IsLeader(); }));
  EXPECT_GE(clock.Now() - before, absl::Seconds(15) - absl::Seconds(2));
  auto lease = client.Get(LeasesResource(), "kube-federation-system", "kfed-controller");
  EXPECT_EQ(json::GetString(*json::Find(**lease, "spec"), "holderIdentity"), "b");
  EXPECT_EQ(json::Find(**lease, "spec")->FindMember("leaseTransitions")->value.GetInt64(), 1);
}

TEST(LeaderElectionTest, LosesLeadershipWhenRenewalsFail) {
  FakeClient client;
  FakeClock clock;
  Candidate a(client, Config("a"), clock);
  ASSERT_TRUE(Eventually([&] { return a.elector().IsLeader(); }));
  client.InjectError("get", "leases", absl::UnavailableError("apiserver down"), 1 << 30);
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return a.stopped() == 1; }));
  EXPECT_FALSE(a.elector().IsLeader());
}

TEST(LeaderElectionTest, ValidatesConfig) {
  FakeClient client;
  LeaderElectionConfig c = Config("a");
  c.renew_deadline = absl::Seconds(20);
  EXPECT_EQ(LeaderElector::Create(client, c).status().message(),
            "leader election: lease_duration must be greater than renew_deadline");
}

// With also_hold (KubeFed's ConfigMap lock): the leader writes client-go's record into the
// ConfigMap's annotation too, and a KubeFed that holds the ConfigMap (renewing it) keeps kfed
// from leading until KubeFed stops renewing.
LeaderElectionConfig WithKubeFedLock(const std::string& id) {
  LeaderElectionConfig c = Config(id);
  c.also_hold = AnnotationLock{ConfigMapsResource(), "kube-federation-system",
                               "kubefed-controller-manager"};
  return c;
}

std::string KubeFedHolder(FakeClient& client) {
  auto cm = client.Get(ConfigMapsResource(), "kube-federation-system",
                       "kubefed-controller-manager");
  if (!cm.ok()) return "<none>";
  const rapidjson::Value* a = json::FindPath(**cm, {"metadata", "annotations"});
  if (a == nullptr) return "<no annotations>";
  auto record = json::Parse(json::GetString(*a, kLeaderAnnotation));
  return record.ok() ? json::GetString(*record, "holderIdentity") : "<unparseable>";
}

// What KubeFed's client-go ConfigMapLock writes.
void KubeFedRenews(FakeClient& client, absl::Time now) {
  const std::string record = absl::StrCat(
      R"({"holderIdentity":"kubefed-host_1234","leaseDurationSeconds":15,)",
      R"("acquireTime":"2026-01-01T00:00:00Z","renewTime":")",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone()),
      R"(","leaderTransitions":0})");
  rapidjson::Document cm(rapidjson::kObjectType);
  auto& a = cm.GetAllocator();
  json::SetString(cm, "apiVersion", "v1", a);
  json::SetString(cm, "kind", "ConfigMap", a);
  rapidjson::Value& meta = json::EnsureObject(cm, "metadata", a);
  json::SetString(meta, "name", "kubefed-controller-manager", a);
  json::SetString(meta, "namespace", "kube-federation-system", a);
  json::SetString(json::EnsureObject(meta, "annotations", a), kLeaderAnnotation, record, a);
  auto existing = client.Get(ConfigMapsResource(), "kube-federation-system",
                             "kubefed-controller-manager");
  if (existing.ok()) {
    json::SetString(meta, "resourceVersion",
                    json::GetString(*json::Find(**existing, "metadata"), "resourceVersion"), a);
    ASSERT_TRUE(client.Update(ConfigMapsResource(), "kube-federation-system", cm, {}).ok());
  } else {
    ASSERT_TRUE(client.Create(ConfigMapsResource(), "kube-federation-system", cm, {}).ok());
  }
}

TEST(LeaderElectionTest, HoldsKubeFedsConfigMapLockBesideTheLease) {
  FakeClient client;
  FakeClock clock;
  Candidate a(client, WithKubeFedLock("a"), clock);
  ASSERT_TRUE(Eventually([&] { return a.elector().IsLeader(); }));
  EXPECT_EQ(KubeFedHolder(client), "a");
  // Renewals keep it (10 s of renewals: the condition never holds), shutdown releases both.
  (void)AdvanceUntil(clock, [] { return false; }, absl::Seconds(10));
  EXPECT_TRUE(a.elector().IsLeader());
  EXPECT_EQ(KubeFedHolder(client), "a");
  a.Stop();
  EXPECT_EQ(KubeFedHolder(client), "");
}

TEST(LeaderElectionTest, AKubeFedHoldingItsLockKeepsKfedWaiting) {
  FakeClient client;
  FakeClock clock;
  KubeFedRenews(client, clock.Now());
  Candidate b(client, WithKubeFedLock("b"), clock);
  // While KubeFed keeps renewing (every 2 s here), kfed never leads, for far longer than a
  // lease duration.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(Parked(clock, [] { return false; }, 1)) << "at step " << i;
    clock.Advance(absl::Seconds(2));
    KubeFedRenews(client, clock.Now());
    EXPECT_FALSE(b.elector().IsLeader()) << "at step " << i;
  }
  EXPECT_EQ(KubeFedHolder(client), "kubefed-host_1234");
  // KubeFed stopped: after its lease duration kfed takes both locks.
  ASSERT_TRUE(AdvanceUntil(clock, [&] { return b.elector().IsLeader(); }));
  EXPECT_EQ(KubeFedHolder(client), "b");
  auto lease = client.Get(LeasesResource(), "kube-federation-system", "kfed-controller");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(json::GetString(*json::Find(**lease, "spec"), "holderIdentity"), "b");
}

}  // namespace
}  // namespace kfed::kube
