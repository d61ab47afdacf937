// The controller manager against an in-memory host (kube::FakeClient), with leader election
// on it: readiness read by other threads while the controllers start (run under TSan by
// hack/tsan.sh, this caught Readiness() reading the controllers the elector's thread was
// assigning), shutdown releasing the Lease after the controllers stopped, a stop that comes
// while campaigning, a standby, and leadership lost leaving no thread behind.
#include "controller/manager.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/cancellation.h"
#include "base/json.h"
#include "base/testing.h"
#include "controller/kubefed_resources.h"
#include "federated_types/keys.h"
#include "federated_types/kubefed_config.h"
#include "kube/client_fake.h"
#include "kube/errors.h"
#include "kube/leader_election.h"
#include "kube/resource.h"

namespace kfed::controller {
namespace {

namespace ft = ::kfed::federated_types;
using ::kfed::testing::Eventually;

constexpr char kNs[] = "kube-federation-system";
constexpr char kIdentity[] = "manager-test";

// Threads of this process.
int Threads() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

class ManagerTest : public ::testing::Test {
 protected:
  // A host with KubeFedConfig `kubefed` whose leader election is fast (1 s lease), unless
  // `lease` says otherwise.
  // `config_checksum`: the chart's --kubefed-config-checksum (none by default).
  void MakeManager(absl::Duration lease = absl::Seconds(1),
                   const ft::KubeFedConfig* stored = nullptr,
                   const std::string& config_checksum = "") {
    auto host = std::make_unique<kube::FakeClient>();
    host_ = host.get();
    ft::KubeFedConfig config = FastConfig(lease);
    if (stored != nullptr) config = *stored;
    ASSERT_TRUE(
        host_->Create(KubeFedConfigsResource(), kNs, ft::KubeFedConfigToJson(config, kNs), {})
            .ok());
    ManagerOptions o;
    o.kubefed_config_checksum = config_checksum;
    o.kubefed_namespace = kNs;
    o.healthz_addr = "127.0.0.1:0";
    o.metrics_addr = "127.0.0.1:0";  // the same server
    o.status_addr = "";
    o.insecure_local = true;
    o.identity = kIdentity;
    manager_ = std::make_unique<Manager>(std::move(host), o);
  }

  static ft::KubeFedConfig FastConfig(absl::Duration lease) {
    ft::KubeFedConfig config = ft::DefaultKubeFedConfig();
    config.lease_duration = lease;
    config.renew_deadline = lease * 0.6;
    config.retry_period = lease * 0.2;
    return config;
  }

  void RunInBackground() {
    runner_ = std::thread([this] { result_ = manager_->Run(stop_); });
  }
  absl::Status Join() {
    if (runner_.joinable()) runner_.join();
    return result_;
  }

  void TearDown() override {
    stop_.Cancel();
    if (runner_.joinable()) runner_.join();
  }

  // The holder of the Lease ("" when released); "absent" when there is none.
  std::string LeaseHolder() {
    absl::StatusOr<kube::ObjectPtr> lease =
        host_->Get(kube::LeasesResource(), kNs, "kubefed-controller-manager");
    if (!lease.ok()) return "absent";
    const rapidjson::Value* spec = json::Find(**lease, "spec");
    return spec == nullptr ? "" : json::GetString(*spec, "holderIdentity");
  }
  // /readyz over HTTP: the status code.
  int Readyz() {
    httplib::Client client("127.0.0.1", manager_->healthz_port());
    httplib::Result r = client.Get("/readyz");
    return r ? r->status : -1;
  }

  kube::FakeClient* host_ = nullptr;  // owned by manager_
  std::unique_ptr<Manager> manager_;
  CancellationToken stop_;
  std::thread runner_;
  absl::Status result_;
};

TEST_F(ManagerTest, ReadyOnceLeadingAndSyncedWhileOtherThreadsAsk) {
  MakeManager();
  // Readers on other threads for the whole start, as the HTTP and gRPC threads are.
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([this, &done] {
      while (!done.load()) {
        absl::Status ready = manager_->Readiness();
        (void)ready;
        (void)manager_->IsLeading();
      }
    });
  }
  RunInBackground();
  ASSERT_TRUE(Eventually([this] { return manager_->IsLeading() && manager_->Readiness().ok(); }))
      << manager_->Readiness();
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(LeaseHolder(), kIdentity);
  ASSERT_NE(manager_->healthz_port(), 0);
  EXPECT_EQ(Readyz(), 200);
  // No clusters: the registry synced as soon as the KubeFedCluster list had.
  EXPECT_TRUE(manager_->clusters().Synced());

  stop_.Cancel();  // stops the controllers on this thread, then the Lease is released
  EXPECT_TRUE(Join().ok()) << result_;
  EXPECT_EQ(LeaseHolder(), "");
  EXPECT_FALSE(manager_->IsLeading());
}

// Readiness is pushed (the gRPC health service subscribes the same way): an observer hears
// "ready" as a standby, "not ready" on becoming leader with caches still syncing, then
// "ready" once the caches synced and the clusters were probed, with nothing polling.
TEST_F(ManagerTest, ReadinessChangesArePushedToObservers) {
  MakeManager();
  absl::Mutex mu;
  std::vector<std::string> heard;  // guarded by mu
  manager_->readiness().AddObserver([&](bool ready, const absl::Status& why) {
    absl::MutexLock lock(&mu);
    heard.push_back(ready ? "ready" : "not ready");
  });
  RunInBackground();
  {
    absl::MutexLock lock(&mu);
    auto leader_ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return heard.size() >= 3 && heard.back() == "ready";
    };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&leader_ready), absl::Seconds(60)))
        << heard.size();
    EXPECT_EQ(heard[0], "ready");      // a standby, before the lease
    EXPECT_EQ(heard[1], "not ready");  // leading, caches syncing
  }
  EXPECT_TRUE(manager_->IsLeading());
  EXPECT_TRUE(manager_->Readiness().ok());
  // A scrape of the running manager has KubeFed's process series beside the runtime's
  // (rest_client_requests_total needs a real HTTP client: process_metrics_test).
  const std::string scrape = manager_->metrics().Render();
  for (const char* series :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ", "process_virtual_memory_max_bytes ", "process_open_fds ",
        "process_max_fds ", "process_start_time_seconds ",
        "controller_runtime_max_concurrent_reconciles{controller=\"federatedtypeconfig\"} 1"}) {
    EXPECT_NE(scrape.find(series), std::string::npos) << series << " missing in\n" << scrape;
  }
  stop_.Cancel();
  EXPECT_TRUE(Join().ok()) << result_;
}

TEST_F(ManagerTest, StopWhileCampaigningNeverLeads) {
  MakeManager();
  stop_.Cancel();
  RunInBackground();
  EXPECT_TRUE(Join().ok()) << result_;
  EXPECT_EQ(LeaseHolder(), "absent");
  EXPECT_FALSE(manager_->IsLeading());
}

TEST_F(ManagerTest, StandbyIsReadyAndStopsPromptly) {
  MakeManager(/*lease=*/absl::Seconds(60));
  // Another replica holds the Lease (and renews it well within the test).
  rapidjson::Document lease = ::kfed::testing::Json(
      absl::StrCat(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":)",
                   R"("kubefed-controller-manager","namespace":")", kNs, R"("},"spec":{)",
                   R"("holderIdentity":"other","leaseDurationSeconds":60,)", R"("renewTime":")",
                   kube::FormatMicroTime(absl::Now()), R"("}})"));
  ASSERT_TRUE(host_->Create(kube::LeasesResource(), kNs, lease, {}).ok());
  RunInBackground();
  ASSERT_TRUE(Eventually([this] { return manager_->healthz_port() != 0; }));
  EXPECT_TRUE(manager_->Readiness().ok());
  EXPECT_EQ(Readyz(), 200);
  EXPECT_FALSE(manager_->IsLeading());
  stop_.Cancel();
  EXPECT_TRUE(Join().ok()) << result_;
  EXPECT_EQ(LeaseHolder(), "other");
}

// Leadership lost: Run returns an error with the controllers stopped, and leaves no thread
// behind (there was a detached one holding Run's locals), even when the process is then
// stopped as main() does.
TEST_F(ManagerTest, LeadershipLostReturnsAndLeavesNoThreadBehind) {
  const int threads_before = Threads();
  MakeManager();
  RunInBackground();
  ASSERT_TRUE(Eventually([this] { return manager_->IsLeading() && manager_->Readiness().ok(); }));
  // Renewals fail from now on: after renewDeadline the elector gives up.
  host_->InjectError("update", "leases", absl::UnavailableError("etcd is down"), 1 << 20);
  absl::Status result = Join();
  EXPECT_EQ(result.code(), absl::StatusCode::kAborted) << result;
  EXPECT_FALSE(manager_->IsLeading());
  EXPECT_TRUE(manager_->Readiness().ok());  // a standby now
  stop_.Cancel();                           // what main() does after Run returned
  manager_.reset();
  EXPECT_TRUE(Eventually([&] { return Threads() == threads_before; }))
      << Threads() << " threads, " << threads_before << " before";
}

// The chart's Pods start before Helm applies the KubeFedConfig they were rendered with: with
// --kubefed-config-checksum the manager reads the settings only once the KubeFedConfig
// carries that checksum. Stored first is an invalid one (renewDeadline above leaseDuration)
// that a manager reading at once would refuse (Run returns kInvalidArgument).
TEST_F(ManagerTest, WaitsForTheKubeFedConfigOfItsChartChecksum) {
  ft::KubeFedConfig stale = FastConfig(absl::Seconds(1));
  stale.renew_deadline = absl::Seconds(5);
  MakeManager(absl::Seconds(1), &stale, /*config_checksum=*/"633ef07c8d91afda");
  RunInBackground();

  rapidjson::Document fresh = ft::KubeFedConfigToJson(FastConfig(absl::Seconds(1)), kNs);
  rapidjson::Value& metadata = fresh["metadata"];
  rapidjson::Value annotations(rapidjson::kObjectType);
  json::SetString(annotations, "kfed.io/chart-checksum", "633ef07c8d91afda", fresh.GetAllocator());
  metadata.AddMember("annotations", annotations, fresh.GetAllocator());
  ASSERT_TRUE(host_->Update(KubeFedConfigsResource(), kNs, fresh, {}).ok());

  ASSERT_TRUE(Eventually([this] { return manager_->IsLeading(); }));
  EXPECT_EQ(LeaseHolder(), kIdentity);
  stop_.Cancel();
  EXPECT_TRUE(Join().ok()) << result_;
}

// Stopped while the KubeFedConfig still has another checksum: Run returns OK and never
// campaigned (no Lease).
TEST_F(ManagerTest, StopWhileWaitingForTheChartChecksum) {
  MakeManager(absl::Seconds(1), /*stored=*/nullptr, /*config_checksum=*/"0123456789abcdef");
  RunInBackground();
  ASSERT_TRUE(Eventually([this] { return manager_->healthz_port() != 0; }));
  stop_.Cancel();
  EXPECT_TRUE(Join().ok()) << result_;
  EXPECT_EQ(LeaseHolder(), "absent");
  EXPECT_FALSE(manager_->IsLeading());
}

}  // namespace
}  // namespace kfed::controller
