// The KubeFedCluster controller on in-memory clusters: the host is a kube::FakeClient, each
// member a FakeClient whose /readyz the test answers (ok, an error, or not at all until
// released), built through the ClientFactory seam. Time is a FakeClock: a test advances it by
// the health-check period to get the next probe. Run under TSan by hack/tsan.sh.
#include "controller/cluster_controller.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/cluster_registry.h"
#include "controller/kubefed_resources.h"
#include "controller/metrics.h"
#include "federated_types/keys.h"
#include "kube/client_fake.h"
#include "kube/resource.h"
#include "status/store.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Json;

constexpr char kNs[] = "kube-federation-system";
constexpr absl::Duration kPeriod = absl::Seconds(10);
// Hang guard for waits on other threads (not a timing assertion).
constexpr absl::Duration kHang = absl::Seconds(60);

std::string Endpoint(const std::string& cluster) {
  return absl::StrCat("https://", cluster, ".example:6443");
}

// A member API server: a FakeClient whose /readyz answers what the test sets, optionally
// holding each probe until released (a member that does not answer).
class FakeMember {
 public:
  FakeMember() : client_(std::make_shared<kube::FakeClient>()) {
    client_->SetRaw("/version", R"({"major":"1","minor":"36","gitVersion":"v1.36.3"})");
    client_->SetRawHandler("/readyz", [this] { return Answer(); });
  }

  std::shared_ptr<kube::FakeClient> client() const { return client_; }

  void SetAnswer(absl::StatusOr<std::string> answer) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  void SetUnreachable() { SetAnswer(absl::UnavailableError("connect: connection refused")); }
  void Hold(bool hold) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    hold_ = hold;
  }
  // Until `n` probes have reached the member (counted as they arrive).
  bool AwaitProbes(int n) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return probes_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), kHang);
  }
  // Until a probe is held.
  bool AwaitHeldProbe() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto held = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&held), kHang);
  }
  int probes() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return probes_;
  }

 private:
  absl::StatusOr<std::string> Answer() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    ++probes_;
    ++held_;
    auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !hold_; };
    mu_.Await(absl::Condition(&released));
    --held_;
    return answer_;
  }

  std::shared_ptr<kube::FakeClient> client_;
  mutable absl::Mutex mu_;
  absl::StatusOr<std::string> answer_ ABSL_GUARDED_BY(mu_) = std::string("ok");
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  int probes_ ABSL_GUARDED_BY(mu_) = 0;
  int held_ ABSL_GUARDED_BY(mu_) = 0;
};

class ClusterControllerTest : public ::testing::Test {
 protected:
  ClusterControllerTest() {
    registry_.AddListener([this](const std::string&) {
      absl::MutexLock lock(&mu_);
      ++registry_changes_;
    });
  }

  void TearDown() override {
    {
      absl::MutexLock lock(&mu_);
      for (auto& [name, m] : members_) m->Hold(false);
    }
    if (controller_ != nullptr) controller_->Stop();
  }

  FakeMember& Member(const std::string& cluster) {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<FakeMember>& m = members_[Endpoint(cluster)];
    if (m == nullptr) m = std::make_unique<FakeMember>();
    return *m;
  }

  // workers = 1 makes "the probe is done" observable: the only worker parks on the clock
  // (waiting for the next period) exactly when a reconcile ended (see AwaitProbe).
  void Start(int workers = 1, int64_t failure_threshold = 3, int64_t success_threshold = 1) {
    ClusterControllerOptions o;
    o.kubefed_namespace = kNs;
    o.config.health_check_period = kPeriod;
    o.config.health_check_timeout = absl::Seconds(3);
    o.config.health_check_failure_threshold = failure_threshold;
    o.config.health_check_success_threshold = success_threshold;
    o.status_store = &store_;
    o.workers = workers;
    controller_ = std::make_unique<ClusterController>(
        host_, registry_, metrics_, o, clock_,
        [this](const kube::RestConfig& c) -> absl::StatusOr<std::shared_ptr<kube::Client>> {
          absl::MutexLock lock(&mu_);
          configs_.push_back(c);
          auto it = members_.find(c.server);
          if (it == members_.end()) return absl::InvalidArgumentError("unknown member");
          return std::shared_ptr<kube::Client>(it->second->client());
        });
    controller_->Start();
  }

  // With workers = 1: waits until `cluster` has been probed `n` times in all and that
  // reconcile has ended (its status written, its state published).
  void AwaitProbe(const std::string& cluster, int n) {
    ASSERT_TRUE(Member(cluster).AwaitProbes(n)) << cluster << " probe " << n;
    clock_.AwaitSleepers(1);
  }
  // The next period's probe of each of `clusters` (workers = 1).
  void NextPeriod(const std::vector<std::string>& clusters) {
    std::map<std::string, int> before;
    for (const std::string& c : clusters) before[c] = Member(c).probes();
    clock_.Advance(kPeriod);
    for (const std::string& c : clusters) AwaitProbe(c, before[c] + 1);
  }

  // Until `condition` on the registry holds; re-evaluated on each registry change.
  bool AwaitRegistry(const std::function<bool()>& condition) {
    const absl::Time deadline = absl::Now() + kHang;
    for (;;) {
      int64_t seen;
      {
        absl::MutexLock lock(&mu_);
        seen = registry_changes_;
      }
      if (condition()) return true;
      absl::MutexLock lock(&mu_);
      auto changed = [this, seen]()
                         ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return registry_changes_ != seen; };
      if (!mu_.AwaitWithDeadline(absl::Condition(&changed), deadline)) return false;
    }
  }

  void CreateSecret(const std::string& name, const std::string& token) {
    ASSERT_TRUE(host_
                    .Create(kube::SecretsResource(), kNs,
                            Json(absl::StrCat(R"({"apiVersion":"v1","kind":"Secret","metadata":{)",
                                              R"("name":")", name, R"(","namespace":")", kNs,
                                              R"("},"data":{"token":")", absl::Base64Escape(token),
                                              R"("}})")),
                            {})
                    .ok());
  }
  void CreateCluster(const std::string& name, const std::string& labels = "{}") {
    Member(name);
    if (!host_.Get(kube::SecretsResource(), kNs, name + "-secret").ok()) {
      CreateSecret(name + "-secret", name + "-token");
    }
    ASSERT_TRUE(
        host_
            .Create(KubeFedClustersResource(), kNs,
                    Json(absl::StrCat(
                        R"({"apiVersion":"core.kubefed.io/v1beta1","kind":"KubeFedCluster",)",
                        R"("metadata":{"name":")", name, R"(","namespace":")", kNs,
                        R"(","labels":)", labels, R"(},"spec":{"apiEndpoint":")", Endpoint(name),
                        R"(","secretRef":{"name":")", name, R"(-secret"}}})")),
                    {})
            .ok());
  }

  kube::ObjectPtr Cluster(const std::string& name) {
    absl::StatusOr<kube::ObjectPtr> c = host_.Get(KubeFedClustersResource(), kNs, name);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : nullptr;
  }
  // "status reason" of condition `type` in the KubeFedCluster's status ("" when absent).
  std::string Condition(const std::string& name, absl::string_view type) {
    kube::ObjectPtr c = Cluster(name);
    const rapidjson::Value* conditions = c ? json::FindPath(*c, {"status", "conditions"}) : nullptr;
    if (conditions == nullptr || !conditions->IsArray()) return "";
    for (const rapidjson::Value& cond : conditions->GetArray()) {
      if (json::GetString(cond, "type") == type) {
        return absl::StrCat(json::GetString(cond, "status"), " ", json::GetString(cond, "reason"));
      }
    }
    return "";
  }
  // Writes `conditions_json` as the KubeFedCluster's status.conditions, as an earlier
  // controller process (or KubeFed) would have left them.
  void SetHostConditions(const std::string& name, const std::string& conditions_json) {
    kube::ObjectPtr c = Cluster(name);
    ASSERT_NE(c, nullptr);
    rapidjson::Document copy = json::Clone(*c);
    rapidjson::Value& st = json::EnsureObject(copy, "status", copy.GetAllocator());
    json::Set(st, "conditions", Json(conditions_json), copy.GetAllocator());
    ASSERT_TRUE(host_.UpdateStatus(KubeFedClustersResource(), kNs, copy, {}).ok());
  }
  std::string ResourceVersion(const std::string& name) {
    kube::ObjectPtr c = Cluster(name);
    return c ? kube::ResourceVersion(*c) : "";
  }
  // The status API's health of `name` ("" when not listed).
  std::string StoreHealth(const std::string& name) {
    const status::v1::ListClustersResponse list = store_.ListClusters();
    for (const status::v1::Cluster& c : list.clusters()) {
      if (c.name() == name) return c.health();
    }
    return "";
  }
  double StateGauge(const std::string& state, const std::string& cluster) {
    return metrics_.Gauge("kubefedcluster_total", "", {"state", "cluster"})
        ->Value({state, cluster});
  }
  std::vector<kube::RestConfig> Configs(const std::string& cluster) {
    absl::MutexLock lock(&mu_);
    std::vector<kube::RestConfig> out;
    for (const kube::RestConfig& c : configs_) {
      if (c.server == Endpoint(cluster)) out.push_back(c);
    }
    return out;
  }

  FakeClock clock_;
  kube::FakeClient host_{clock_};
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  status::StatusStore store_;
  absl::Mutex mu_;
  // By endpoint. Before controller_: members outlive the probes.
  std::map<std::string, std::unique_ptr<FakeMember>> members_ ABSL_GUARDED_BY(mu_);
  std::vector<kube::RestConfig> configs_ ABSL_GUARDED_BY(mu_);
  int64_t registry_changes_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<ClusterController> controller_;
};

TEST_F(ClusterControllerTest, HealthyClusterBecomesReadyAfterTheSuccessThreshold) {
  CreateCluster("c1", R"({"region":"eu"})");
  Member("c1").SetUnreachable();
  Start(/*workers=*/1, /*failure_threshold=*/3, /*success_threshold=*/2);
  // The first probe is published at once: nothing better is known.
  AwaitProbe("c1", 1);
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "False ClusterNotReachable");
  EXPECT_EQ(Condition("c1", ft::kClusterOfflineCondition), "True ClusterNotReachable");
  ASSERT_NE(registry_.Get("c1"), nullptr);
  EXPECT_FALSE(registry_.Get("c1")->ready);
  EXPECT_TRUE(absl::StrContains(registry_.Get("c1")->not_ready_message, "connection refused"))
      << registry_.Get("c1")->not_ready_message;
  EXPECT_EQ(StoreHealth("c1"), status::kHealthOffline);

  Member("c1").SetAnswer("ok");
  NextPeriod({"c1"});  // one success of two
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "False ClusterNotReachable");
  EXPECT_FALSE(registry_.Get("c1")->ready);
  NextPeriod({"c1"});
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");
  EXPECT_EQ(Condition("c1", ft::kClusterOfflineCondition), "");
  EXPECT_EQ(json::GetString(*json::Find(*Cluster("c1"), "status"), "kubernetesVersion"), "v1.36.3");
  std::shared_ptr<const MemberCluster> member = registry_.Get("c1");
  EXPECT_TRUE(member->ready);
  EXPECT_EQ(member->labels.at("region"), "eu");
  EXPECT_NE(member->client, nullptr);
  EXPECT_EQ(StoreHealth("c1"), status::kHealthReady);
  EXPECT_EQ(StateGauge("ready", "c1"), 1);
  EXPECT_EQ(StateGauge("offline", "c1"), 0);
}

TEST_F(ClusterControllerTest, UnreachableClusterGoesOfflineAfterTheFailureThreshold) {
  CreateCluster("c1");
  Start(/*workers=*/1, /*failure_threshold=*/3);
  AwaitProbe("c1", 1);
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");

  Member("c1").SetUnreachable();
  NextPeriod({"c1"});
  NextPeriod({"c1"});
  // Two failures of three: still Ready, for the sync controllers too.
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");
  EXPECT_TRUE(registry_.Get("c1")->ready);
  NextPeriod({"c1"});
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "False ClusterNotReachable");
  EXPECT_EQ(Condition("c1", ft::kClusterOfflineCondition), "True ClusterNotReachable");
  EXPECT_FALSE(registry_.Get("c1")->ready);
  EXPECT_EQ(StoreHealth("c1"), status::kHealthOffline);
  EXPECT_EQ(StateGauge("offline", "c1"), 1);
  EXPECT_EQ(StateGauge("ready", "c1"), 0);

  // The probe client never retries and gives up after the health-check timeout.
  std::vector<kube::RestConfig> configs = Configs("c1");
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[1].timeout, absl::Seconds(3));
  EXPECT_EQ(configs[1].max_retries, 0);
  EXPECT_EQ(configs[0].bearer_token, "c1-token");
}

TEST_F(ClusterControllerTest, ClusterReadyInTheHostSurvivesOneFailedFirstProbe) {
  // A restarted controller: the host shows the cluster Ready (an earlier process's probes).
  // Its first probe times out; the cluster stays Ready until the failure threshold, as it
  // would have for the process that wrote the status (KubeFed published the first probe at
  // once, and its replica scheduler moved the member's replicas away).
  CreateCluster("c1");
  SetHostConditions("c1",
                    R"([{"type":"Ready","status":"True","reason":"ClusterReady",)"
                    R"("message":"/healthz responded with ok",)"
                    R"("lastProbeTime":"2026-12-01T00:00:00Z",)"
                    R"("lastTransitionTime":"2026-12-01T00:00:00Z"}])");
  const std::string before = ResourceVersion("c1");
  Member("c1").SetUnreachable();
  Start(/*workers=*/1, /*failure_threshold=*/2);
  AwaitProbe("c1", 1);
  ASSERT_NE(registry_.Get("c1"), nullptr);
  EXPECT_TRUE(registry_.Get("c1")->ready);
  EXPECT_NE(registry_.Get("c1")->client, nullptr);
  EXPECT_TRUE(registry_.Synced());
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");
  EXPECT_EQ(ResourceVersion("c1"), before) << "the status was rewritten";
  EXPECT_EQ(StoreHealth("c1"), status::kHealthReady);
  EXPECT_EQ(StateGauge("ready", "c1"), 1);

  NextPeriod({"c1"});  // the second failure in a row
  EXPECT_FALSE(registry_.Get("c1")->ready);
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "False ClusterNotReachable");
}

TEST_F(ClusterControllerTest, ClusterReadyInTheHostIsConfirmedByTheFirstProbe) {
  // A controller taking over (a restart, or the switch from KubeFed): its first good probe
  // writes the status once, with its own lastProbeTime and the transition time kept; then
  // nothing more while the cluster stays Ready.
  CreateCluster("c1");
  SetHostConditions("c1",
                    R"([{"type":"Ready","status":"True","reason":"ClusterReady",)"
                    R"("message":"/healthz responded with ok",)"
                    R"("lastProbeTime":"2020-12-01T00:00:00Z",)"
                    R"("lastTransitionTime":"2020-12-01T00:00:00Z"}])");
  const std::string before = ResourceVersion("c1");
  Start(/*workers=*/1, /*failure_threshold=*/2);
  AwaitProbe("c1", 1);
  const std::string confirmed = ResourceVersion("c1");
  EXPECT_NE(confirmed, before) << "the first probe did not write the status";
  const rapidjson::Value* ready = json::FindPath(*Cluster("c1"), {"status", "conditions"});
  ASSERT_TRUE(ready != nullptr && ready->IsArray() && ready->Size() == 1u);
  EXPECT_EQ(json::GetString((*ready)[0], "status"), "True");
  EXPECT_EQ(json::GetString((*ready)[0], "lastTransitionTime"), "2020-12-01T00:00:00Z");
  EXPECT_NE(json::GetString((*ready)[0], "lastProbeTime"), "2020-12-01T00:00:00Z");
  EXPECT_TRUE(registry_.Get("c1")->ready);
  NextPeriod({"c1"});
  EXPECT_EQ(ResourceVersion("c1"), confirmed) << "a second good probe rewrote the status";
}

TEST_F(ClusterControllerTest, ClusterNotReadyInTheHostIsProbedAfresh) {
  // A status that says not Ready is not taken: the first probe is published at once.
  CreateCluster("c1");
  SetHostConditions("c1",
                    R"([{"type":"Ready","status":"False","reason":"ClusterNotReachable",)"
                    R"("message":"cluster is not reachable"}])");
  Start(/*workers=*/1, /*failure_threshold=*/3, /*success_threshold=*/3);
  AwaitProbe("c1", 1);
  ASSERT_NE(registry_.Get("c1"), nullptr);
  EXPECT_TRUE(registry_.Get("c1")->ready);
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");
}

TEST_F(ClusterControllerTest, StatusIsWrittenOnlyWhenItChanges) {
  CreateCluster("c1");
  Start(/*workers=*/1, /*failure_threshold=*/2);
  AwaitProbe("c1", 1);
  const std::string ready = ResourceVersion("c1");
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");
  for (int i = 0; i < 3; ++i) NextPeriod({"c1"});
  EXPECT_EQ(ResourceVersion("c1"), ready) << "healthy probes rewrote the status";

  Member("c1").SetUnreachable();
  NextPeriod({"c1"});  // below the threshold: nothing to write
  EXPECT_EQ(ResourceVersion("c1"), ready);
  NextPeriod({"c1"});
  const std::string offline = ResourceVersion("c1");
  EXPECT_NE(offline, ready);
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "False ClusterNotReachable");
  for (int i = 0; i < 2; ++i) NextPeriod({"c1"});
  EXPECT_EQ(ResourceVersion("c1"), offline) << "offline probes rewrote the status";
}

TEST_F(ClusterControllerTest, FailedStatusWriteIsRetriedAtTheNextProbe) {
  // A previous process left the cluster Offline, with its version.
  CreateCluster("c1");
  rapidjson::Document old = json::Clone(*Cluster("c1"));
  json::Set(old, "status",
            Json(R"({"kubernetesVersion":"v1.36.3","conditions":[{"type":"Ready",)"
                 R"("status":"False","reason":"ClusterNotReachable"}]})"),
            old.GetAllocator());
  ASSERT_TRUE(host_.UpdateStatus(KubeFedClustersResource(), kNs, old, {}).ok());
  host_.InjectError("updatestatus", "kubefedclusters", absl::UnavailableError("host down"));
  Start();
  AwaitProbe("c1", 1);  // Ready now, but the write failed
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "False ClusterNotReachable");
  EXPECT_TRUE(registry_.Get("c1")->ready);
  // Nothing changed since, and the host holds conditions and the version: only the failed
  // write makes the next probe write.
  NextPeriod({"c1"});
  EXPECT_EQ(Condition("c1", ft::kClusterReadyCondition), "True ClusterReady");
}

TEST_F(ClusterControllerTest, RotatedSecretRebuildsTheClient) {
  CreateCluster("c1");
  Start();
  AwaitProbe("c1", 1);
  ASSERT_NE(registry_.Get("c1"), nullptr);
  const uint64_t generation = registry_.Get("c1")->client_generation;
  EXPECT_EQ(Configs("c1").back().bearer_token, "c1-token");

  absl::StatusOr<kube::ObjectPtr> secret = host_.Get(kube::SecretsResource(), kNs, "c1-secret");
  ASSERT_TRUE(secret.ok());
  rapidjson::Document rotated = json::Clone(**secret);
  json::SetString(rotated["data"], "token", absl::Base64Escape("rotated-token"),
                  rotated.GetAllocator());
  ASSERT_TRUE(host_.Update(kube::SecretsResource(), kNs, rotated, {}).ok());
  // The Secret's event probes at once, without waiting for the period.
  AwaitProbe("c1", 2);
  EXPECT_EQ(Configs("c1").back().bearer_token, "rotated-token");
  EXPECT_EQ(registry_.Get("c1")->client_generation, generation + 1);
  EXPECT_TRUE(registry_.Get("c1")->ready);

  // The next period keeps the client.
  NextPeriod({"c1"});
  EXPECT_EQ(registry_.Get("c1")->client_generation, generation + 1);
  EXPECT_EQ(Configs("c1").size(), 4u);  // two builds, each a client and a probe client
}

TEST_F(ClusterControllerTest, MissingSecretIsConfigMalformed) {
  Member("c1");
  ASSERT_TRUE(
      host_
          .Create(KubeFedClustersResource(), kNs,
                  Json(absl::StrCat(R"({"apiVersion":"core.kubefed.io/v1beta1",)",
                                    R"("kind":"KubeFedCluster","metadata":{"name":"c1",)",
                                    R"("namespace":")", kNs, R"("},"spec":{)", R"("apiEndpoint":")",
                                    Endpoint("c1"), R"(","secretRef":{"name":"nowhere"}}})")),
                  {})
          .ok());
  Start();
  ASSERT_TRUE(AwaitRegistry([this] { return registry_.Get("c1") != nullptr; }));
  std::shared_ptr<const MemberCluster> member = registry_.Get("c1");
  EXPECT_FALSE(member->ready);
  EXPECT_EQ(member->client, nullptr);
  EXPECT_TRUE(absl::StrContains(member->not_ready_message, "secret \"nowhere\" not found"))
      << member->not_ready_message;
  EXPECT_EQ(Condition("c1", ft::kClusterConfigMalformedCondition), "True ClusterConfigMalformed");
  EXPECT_EQ(Member("c1").probes(), 0);

  // The Secret appears: its event builds the client and the cluster becomes Ready.
  CreateSecret("nowhere", "late-token");
  ASSERT_TRUE(AwaitRegistry([this] {
    std::shared_ptr<const MemberCluster> m = registry_.Get("c1");
    return m != nullptr && m->ready;
  }));
  EXPECT_EQ(Configs("c1").back().bearer_token, "late-token");
}

TEST_F(ClusterControllerTest, RemovedClusterIsCleanedUp) {
  CreateCluster("c1");
  CreateCluster("gone");
  Start(/*workers=*/4);
  ASSERT_TRUE(AwaitRegistry(
      [this] { return registry_.Get("c1") != nullptr && registry_.Get("gone") != nullptr; }));
  ASSERT_TRUE(AwaitRegistry([this] { return StoreHealth("gone") == status::kHealthReady; }));
  EXPECT_EQ(metrics_.Gauge("joined_cluster_total", "")->Value({}), 2);
  EXPECT_TRUE(absl::StrContains(metrics_.Render(), "cluster=\"gone\""));

  ASSERT_TRUE(host_.Delete(KubeFedClustersResource(), kNs, "gone", {}).ok());
  ASSERT_TRUE(AwaitRegistry([this] { return registry_.Get("gone") == nullptr; }));
  EXPECT_EQ(StoreHealth("gone"), "");
  EXPECT_FALSE(absl::StrContains(metrics_.Render(), "cluster=\"gone\""));
  EXPECT_EQ(metrics_.Gauge("joined_cluster_total", "")->Value({}), 1);
  EXPECT_NE(registry_.Get("c1"), nullptr);
  EXPECT_EQ(StoreHealth("c1"), status::kHealthReady);

  // A cluster joined again starts afresh.
  CreateCluster("gone");
  ASSERT_TRUE(AwaitRegistry([this] { return registry_.Get("gone") != nullptr; }));
}

TEST_F(ClusterControllerTest, WithNoClustersTheRegistrySyncsOnceTheInformersHave) {
  EXPECT_FALSE(registry_.Synced());
  Start();
  CancellationToken never;
  EXPECT_TRUE(registry_.WaitForSync(Clock::Real(), absl::Now() + kHang, never));
  EXPECT_TRUE(controller_->Synced());
}

TEST_F(ClusterControllerTest, RegistrySyncsOnceEveryClusterWasProbed) {
  CreateCluster("fast");
  CreateCluster("slow");
  Member("slow").Hold(true);
  Start(/*workers=*/4);
  ASSERT_TRUE(Member("slow").AwaitHeldProbe());
  ASSERT_TRUE(AwaitRegistry([this] { return registry_.Get("fast") != nullptr; }));
  EXPECT_FALSE(registry_.Synced()) << "synced before every cluster was probed";
  Member("slow").Hold(false);
  CancellationToken never;
  EXPECT_TRUE(registry_.WaitForSync(Clock::Real(), absl::Now() + kHang, never));
  EXPECT_NE(registry_.Get("slow"), nullptr);
}

// A member that does not answer holds one worker; every other cluster is probed meanwhile.
TEST_F(ClusterControllerTest, DeadClusterDelaysNoOther) {
  CreateCluster("dead");
  Member("dead").Hold(true);
  Start(/*workers=*/ClusterControllerOptions().workers);
  ASSERT_TRUE(Member("dead").AwaitHeldProbe());
  for (const std::string name : {"a", "b", "c"}) CreateCluster(name);
  ASSERT_TRUE(AwaitRegistry([this] {
    for (const char* name : {"a", "b", "c"}) {
      std::shared_ptr<const MemberCluster> m = registry_.Get(name);
      if (m == nullptr || !m->ready) return false;
    }
    return true;
  })) << "a cluster waited for the dead one's probe";
  EXPECT_EQ(registry_.Get("dead"), nullptr);  // still being probed
  Member("dead").Hold(false);
}

}  // namespace
}  // namespace kfed::controller
