// Integration tests against the real local clusters started by hack/local-clusters.sh.
// Run them with hack/test.sh (or `eval "$(hack/local-clusters.sh env)"` and
// `bazel test //kube:kube_e2e_test`). Without KFED_E2E_KUBECONFIG every test fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/discovery.h"
#include "kube/errors.h"
#include "kube/informer.h"
#include "kube/leader_election.h"

namespace kfed::kube {
namespace {

using ::kfed::testing::Eventually;
using ::kfed::testing::GetEnv;
using ::kfed::testing::Json;

std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat(absl::Hex(rng() & 0xffffff, absl::kZeroPad6));
}

// How long a condition on a real cluster may take to hold.
constexpr absl::Duration kWait = absl::Seconds(60);

// A TCP proxy on a loopback port that the test can cut (every connection dropped and new
// ones refused, as while an apiserver restarts) and restore.
class OutageProxy {
 public:
  explicit OutageProxy(int upstream_port) : upstream_port_(upstream_port) { Listen(0); }
  ~OutageProxy() {
    Cut();
    for (auto& t : threads_) t.join();
  }
  int port() const { return port_; }

  void Cut() {
    absl::MutexLock lock(&mu_);
    if (listener_ >= 0) {
      shutdown(listener_, SHUT_RDWR);
      close(listener_);
      listener_ = -1;
    }
    for (int fd : conns_) shutdown(fd, SHUT_RDWR);
  }
  void Restore() { Listen(port_); }

 private:
  void Listen(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    CHECK_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    CHECK_EQ(listen(fd, 64), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    {
      absl::MutexLock lock(&mu_);
      listener_ = fd;
    }
    threads_.emplace_back([this, fd] {
      for (;;) {
        int client = accept(fd, nullptr, nullptr);
        if (client < 0) return;
        int up = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in ua{};
        ua.sin_family = AF_INET;
        ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ua.sin_port = htons(upstream_port_);
        if (connect(up, reinterpret_cast<sockaddr*>(&ua), sizeof(ua)) != 0) {
          close(client);
          close(up);
          continue;
        }
        {
          absl::MutexLock lock(&mu_);
          conns_.push_back(client);
          conns_.push_back(up);
        }
        threads_.emplace_back([client, up] { Pump(client, up); });
        threads_.emplace_back([client, up] { Pump(up, client); });
      }
    });
  }
  static void Pump(int from, int to) {
    char buf[16384];
    for (;;) {
      ssize_t n = read(from, buf, sizeof(buf));
      if (n <= 0 || send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    shutdown(from, SHUT_RDWR);
    shutdown(to, SHUT_RDWR);
  }

  const int upstream_port_;
  int port_ = 0;
  absl::Mutex mu_;
  int listener_ ABSL_GUARDED_BY(mu_) = -1;
  std::vector<int> conns_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // joined at destruction (all end once cut)
};

class KubeE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubeconfig_ = GetEnv("KFED_E2E_KUBECONFIG");
    ASSERT_FALSE(kubeconfig_.empty())
        << "KFED_E2E_KUBECONFIG is not set: these tests need the local clusters. Run them via "
           "hack/test.sh (or: hack/local-clusters.sh up && eval \"$(hack/local-clusters.sh env)\" "
           "&& bazel test //kube:kube_e2e_test).";
    host_ = Client("host");
    ASSERT_NE(host_, nullptr);
    ns_ = absl::StrCat("kfed-kube-e2e-", RandomSuffix());
    ASSERT_TRUE(host_->Create(NamespacesResource(), "", Json(absl::StrCat(R"({"metadata":{"name":")", ns_, "\"}}")), WriteOptions()).ok());
  }
  void TearDown() override {
    if (host_ != nullptr && !ns_.empty()) {
      DeleteOptions background;
      background.propagation_policy = "Background";
      (void)host_->Delete(NamespacesResource(), "", ns_, background);
    }
  }

  std::unique_ptr<RestClient> Client(const std::string& context) {
    KubeconfigOptions o;
    o.paths = {kubeconfig_};
    o.context = context;
    absl::StatusOr<RestConfig> config = LoadKubeconfig(o);
    EXPECT_TRUE(config.ok()) << config.status();
    if (!config.ok()) return nullptr;
    config->qps = 500;
    config->burst = 500;
    auto c = RestClient::Create(*config);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  rapidjson::Document Cm(absl::string_view name, absl::string_view labels = "{}") {
    return Json(absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", name,
                             R"(","namespace":")", ns_, R"(","labels":)", labels,
                             R"(},"data":{"k":"v"}})"));
  }

  std::string kubeconfig_;
  std::unique_ptr<RestClient> host_;
  std::string ns_;
};

TEST_F(KubeE2ETest, EveryVerb) {
  GroupVersionResource cms = ConfigMapsResource();
  RestClient& c = *host_;
  auto created = c.Create(cms, ns_, Cm("a", R"({"app":"x"})"), WriteOptions());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(kube::IsAlreadyExists(c.Create(cms, ns_, Cm("a"), WriteOptions()).status()));
  ASSERT_TRUE(c.Create(cms, ns_, Cm("b", R"({"app":"y"})"), WriteOptions()).ok());

  auto got = c.Get(cms, ns_, "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Uid(**got), Uid(**created));
  EXPECT_TRUE(kube::IsNotFound(c.Get(cms, ns_, "nope").status()));

  ListOptions sel;
  sel.label_selector = "app=x";
  auto list = c.List(cms, ns_, sel);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(json::GetString(*list->items[0], "kind"), "ConfigMap");
  sel.label_selector = "";
  sel.field_selector = "metadata.name=b";
  EXPECT_EQ(c.List(cms, ns_, sel)->items.size(), 1u);

  // PUT with the current resourceVersion, then a stale one.
  rapidjson::Document update;
  update.CopyFrom(**got, update.GetAllocator());
  json::SetString(*json::FindMutable(update, "data"), "k", "v2", update.GetAllocator());
  auto updated = c.Update(cms, ns_, update, WriteOptions());
  ASSERT_TRUE(updated.ok()) << updated.status();
  absl::Status stale = c.Update(cms, ns_, update, WriteOptions()).status();
  EXPECT_TRUE(kube::IsConflict(stale)) << stale;
  EXPECT_EQ(Reason(stale), "Conflict");

  auto merged = c.Patch(cms, ns_, "a", PatchType::kMerge, R"({"data":{"m":"1"}})", PatchOptions());
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(json::GetString(*json::Find(**merged, "data"), "m"), "1");
  auto jp = c.Patch(cms, ns_, "a", PatchType::kJson, R"([{"op":"remove","path":"/data/m"}])", PatchOptions());
  ASSERT_TRUE(jp.ok()) << jp.status();
  EXPECT_EQ(json::Find(*json::Find(**jp, "data"), "m"), nullptr);
  auto sm = c.Patch(cms, ns_, "a", PatchType::kStrategicMerge, R"({"data":{"s":"1"}})", PatchOptions());
  EXPECT_TRUE(sm.ok()) << sm.status();
  auto invalid = c.Patch(cms, ns_, "a", PatchType::kJson, R"([{"op":"remove","path":"/data/none"}])", PatchOptions());
  EXPECT_FALSE(invalid.ok());

  PatchOptions apply;
  apply.field_manager = "kfed-e2e";
  auto applied = c.Patch(cms, ns_, "c", PatchType::kApply,
                         absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":")", ns_, R"("},"data":{"x":"1"}})"),
                         apply);
  ASSERT_TRUE(applied.ok()) << applied.status();

  // Status subresource (namespaces have one).
  auto ns_obj = c.Get(NamespacesResource(), "", ns_);
  ASSERT_TRUE(ns_obj.ok());
  auto status = c.UpdateStatus(NamespacesResource(), "", **ns_obj, WriteOptions());
  EXPECT_TRUE(status.ok()) << status.status();

  DeleteOptions wrong;
  wrong.precondition_uid = "00000000-0000-0000-0000-000000000000";
  EXPECT_TRUE(kube::IsConflict(c.Delete(cms, ns_, "a", wrong)));
  DeleteOptions right;
  right.precondition_uid = Uid(**created);
  right.propagation_policy = "Background";
  right.grace_period_seconds = 0;
  EXPECT_TRUE(c.Delete(cms, ns_, "a", right).ok());
  EXPECT_TRUE(kube::IsNotFound(c.Get(cms, ns_, "a").status()));

  ListOptions by_label;
  by_label.label_selector = "app=y";
  ASSERT_TRUE(c.DeleteCollection(cms, ns_, DeleteOptions(), by_label).ok());
  EXPECT_TRUE(kube::IsNotFound(c.Get(cms, ns_, "b").status()));
  EXPECT_TRUE(c.Get(cms, ns_, "c").ok());

  auto readyz = c.GetRaw("/readyz");
  ASSERT_TRUE(readyz.ok()) << readyz.status();
  EXPECT_EQ(*readyz, "ok");
  auto version = c.GetRaw("/version");
  ASSERT_TRUE(version.ok());
  EXPECT_TRUE(absl::StrContains(*version, "gitVersion"));
  EXPECT_TRUE(c.GetRaw("/openapi/v3").ok());
}

TEST_F(KubeE2ETest, PagingOverManyConfigMapsAndInformerSync) {
  GroupVersionResource cms = ConfigMapsResource();
  constexpr int kCount = 1100;
  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&] {
      for (int i; (i = next++) < kCount;) {
        if (!host_->Create(cms, ns_, Cm(absl::StrCat("cm-", i)), WriteOptions()).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_EQ(failures.load(), 0);

  ListOptions o;
  o.limit = 250;
  int pages = 0;
  size_t total = 0;
  do {
    auto page = host_->List(cms, ns_, o);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    total += page->items.size();
    o.continue_token = page->continue_token;
  } while (!o.continue_token.empty());
  EXPECT_GE(total, static_cast<size_t>(kCount));  // + kube-root-ca.crt
  EXPECT_GE(pages, 5);

  InformerOptions io;
  io.gvr = cms;
  io.ns = ns_;
  io.page_size = 300;
  Informer informer(*host_, io);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(60)));
  EXPECT_EQ(informer.Size(), total);
}

TEST_F(KubeE2ETest, InformerResumesAfterConnectionOutage) {
  GroupVersionResource cms = ConfigMapsResource();
  KubeconfigOptions ko;
  ko.paths = {kubeconfig_};
  ko.context = "host";
  absl::StatusOr<RestConfig> config = LoadKubeconfig(ko);
  ASSERT_TRUE(config.ok());
  size_t colon = config->server.rfind(':');
  OutageProxy proxy(std::stoi(config->server.substr(colon + 1)));
  config->server = absl::StrCat(config->server.substr(0, colon), ":", proxy.port());
  auto via_proxy = RestClient::Create(*config);
  ASSERT_TRUE(via_proxy.ok());
  ASSERT_TRUE(host_->Create(cms, ns_, Cm("before"), WriteOptions()).ok());

  InformerOptions io;
  io.gvr = cms;
  io.ns = ns_;
  io.initial_backoff = absl::Milliseconds(200);
  io.max_backoff = absl::Seconds(1);
  std::atomic<int> adds{0}, deletes{0};
  Informer informer(**via_proxy, io);
  EventHandlers h;
  // Count only the test's objects: the namespace's kube-root-ca.crt may appear any time.
  h.on_add = [&](const ObjectPtr& o) { if (Name(*o) != "kube-root-ca.crt") ++adds; };
  h.on_delete = [&](const ObjectPtr& o) { if (Name(*o) != "kube-root-ca.crt") ++deletes; };
  informer.AddEventHandler(h);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(30)));
  int adds_before = adds.load();

  proxy.Cut();  // the watch drops; reconnects are refused
  ASSERT_TRUE(host_->Create(cms, ns_, Cm("during"), WriteOptions()).ok());
  ASSERT_TRUE(host_->Delete(cms, ns_, "before", DeleteOptions()).ok());
  absl::SleepFor(absl::Seconds(2));  // an outage of a few reconnect attempts
  EXPECT_NE(informer.Get(ns_, "before"), nullptr);  // nothing seen while cut off
  proxy.Restore();
  ASSERT_TRUE(Eventually(
      [&] {
        return informer.Get(ns_, "during") != nullptr && informer.Get(ns_, "before") == nullptr;
      },
      kWait));
  EXPECT_EQ(adds.load(), adds_before + 1);
  EXPECT_EQ(deletes.load(), 1);
  EXPECT_EQ(informer.Lists(), 1);  // resumed from the last resourceVersion, no relist
  informer.Stop();
}

// Restarts member1's kube-apiserver with hack/local-clusters.sh. Run on its own
// (//kube:kube_restart_e2e_test, tagged manual): Bazel kills every process a test started
// when the test exits, so the restarted apiserver dies with the test and member1 must be
// started again from outside (`hack/local-clusters.sh start member1`).
TEST_F(KubeE2ETest, RealRestartInformerResumesAfterApiserverRestart) {
  std::string run_dir = GetEnv("KFED_E2E_RUN_DIR");
  ASSERT_FALSE(run_dir.empty()) << "KFED_E2E_RUN_DIR is not set (run via hack/test.sh)";
  std::unique_ptr<RestClient> member = Client("member1");
  ASSERT_NE(member, nullptr);
  GroupVersionResource cms = ConfigMapsResource();
  ASSERT_TRUE(member->Create(NamespacesResource(), "", Json(absl::StrCat(R"({"metadata":{"name":")", ns_, "\"}}")), WriteOptions()).ok());
  ASSERT_TRUE(member->Create(cms, ns_, Cm("before"), WriteOptions()).ok());

  InformerOptions io;
  io.gvr = cms;
  io.ns = ns_;
  io.initial_backoff = absl::Milliseconds(200);
  io.max_backoff = absl::Seconds(2);
  std::atomic<int> adds{0}, deletes{0};
  Informer informer(*member, io);
  EventHandlers h;
  // Count only the test's objects: the namespace's kube-root-ca.crt may appear any time.
  h.on_add = [&](const ObjectPtr& o) { if (Name(*o) != "kube-root-ca.crt") ++adds; };
  h.on_delete = [&](const ObjectPtr& o) { if (Name(*o) != "kube-root-ca.crt") ++deletes; };
  informer.AddEventHandler(h);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(absl::Seconds(30)));
  int adds_before = adds.load();

  std::string script = absl::StrCat("KFED_RUN_DIR='", run_dir, "' hack/local-clusters.sh");
  ASSERT_EQ(std::system(absl::StrCat(script, " stop member1").c_str()), 0);
  ASSERT_EQ(std::system(absl::StrCat(script, " start member1").c_str()), 0);
  ASSERT_TRUE(Eventually([&] { auto r = member->GetRaw("/readyz"); return r.ok() && *r == "ok"; }, absl::Seconds(120)));

  ASSERT_TRUE(member->Create(cms, ns_, Cm("after"), WriteOptions()).ok());
  ASSERT_TRUE(member->Delete(cms, ns_, "before", DeleteOptions()).ok());
  ASSERT_TRUE(Eventually(
      [&] {
        return informer.Get(ns_, "after") != nullptr && informer.Get(ns_, "before") == nullptr;
      },
      kWait));
  // Handlers run on the dispatcher thread after the store changes: wait for them too.
  EXPECT_TRUE(
      Eventually([&] { return adds.load() == adds_before + 1 && deletes.load() == 1; }, kWait))
      << "adds " << adds.load() - adds_before << ", deletes " << deletes.load();
  EXPECT_EQ(adds.load(), adds_before + 1);
  EXPECT_EQ(deletes.load(), 1);
  informer.Stop();
  DeleteOptions background;
  background.propagation_policy = "Background";
  (void)member->Delete(NamespacesResource(), "", ns_, background);
}

TEST_F(KubeE2ETest, ManyWatchesShareOneHttp2Connection) {
  constexpr int kWatches = 20;
  GroupVersionResource cms = ConfigMapsResource();
  CancellationToken stop;
  std::atomic<int> open{0}, saw{0};
  std::vector<std::thread> watchers;
  for (int i = 0; i < kWatches; ++i) {
    watchers.emplace_back([&] {
      WatchOptions o;
      o.resource_version = "0";
      bool counted = false;
      ++open;
      absl::Status s = host_->Watch(cms, ns_, o, [&](const WatchEvent& e) {
        if (!counted && e.type == WatchEventType::kAdded && Name(*e.object) == "ping") {
          counted = true;
          ++saw;
        }
        return true;
      }, &stop);
      EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
    });
  }
  ASSERT_TRUE(Eventually([&] { return open.load() == kWatches; }, kWait));
  ASSERT_TRUE(host_->Create(cms, ns_, Cm("ping"), WriteOptions()).ok());
  ASSERT_TRUE(Eventually([&] { return saw.load() == kWatches; }, kWait));
  stop.Cancel();
  for (auto& t : watchers) t.join();
  // All 20 concurrent watches were multiplexed over HTTP/2 on one connection.
  EXPECT_EQ(host_->transport().connections_opened(), 1);
}

TEST_F(KubeE2ETest, ServerSideApplyConflict) {
  GroupVersionResource cms = ConfigMapsResource();
  std::string body1 = absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa","namespace":")", ns_, R"("},"data":{"owner":"one"}})");
  std::string body2 = absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa","namespace":")", ns_, R"("},"data":{"owner":"two"}})");
  PatchOptions one, two;
  one.field_manager = "manager-one";
  two.field_manager = "manager-two";
  ASSERT_TRUE(host_->Patch(cms, ns_, "ssa", PatchType::kApply, body1, one).ok());
  absl::Status conflict = host_->Patch(cms, ns_, "ssa", PatchType::kApply, body2, two).status();
  EXPECT_TRUE(kube::IsConflict(conflict)) << conflict;
  EXPECT_TRUE(absl::StrContains(conflict.message(), "manager-one")) << conflict;
  two.force = true;
  auto forced = host_->Patch(cms, ns_, "ssa", PatchType::kApply, body2, two);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(json::GetString(*json::Find(**forced, "data"), "owner"), "two");
}

TEST_F(KubeE2ETest, DiscoversCrdCreatedDuringTheTest) {
  Discovery discovery(*host_);
  ASSERT_TRUE(discovery.Resources().ok());
  auto cm = discovery.ResourceFor({"", "v1", "ConfigMap"});
  ASSERT_TRUE(cm.ok());
  EXPECT_EQ(cm->resource, "configmaps");

  std::string group = absl::StrCat("e2e", RandomSuffix(), ".kfed.io");
  std::string crd = absl::StrCat(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.)", group, R"("},
    "spec":{"group":")", group, R"(","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})");
  GroupVersionResource crds = CustomResourceDefinitionsResource();
  ASSERT_TRUE(host_->Create(crds, "", Json(crd), WriteOptions()).ok());
  GroupVersionKind widget{group, "v1", "Widget"};
  absl::StatusOr<ApiResource> found;
  ASSERT_TRUE(Eventually(
      [&] {
        found = discovery.Describe(widget);
        return found.ok();
      },
      kWait))
      << found.status();
  EXPECT_EQ(found->gvr.resource, "widgets");
  EXPECT_TRUE(found->gvr.namespaced);
  EXPECT_EQ(found->subresources, std::vector<std::string>{"status"});
  EXPECT_GE(discovery.refreshes(), 2);
  EXPECT_TRUE(discovery.aggregated());  // 1.36 serves apidiscovery.k8s.io/v2

  // The new resource is usable through the dynamic client, status subresource included.
  auto w = host_->Create(found->gvr, ns_, Json(absl::StrCat(R"({"apiVersion":")", group, R"(/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1}})")), WriteOptions());
  ASSERT_TRUE(w.ok()) << w.status();
  rapidjson::Document with_status;
  with_status.CopyFrom(**w, with_status.GetAllocator());
  json::Set(with_status, "status", Json(R"({"ready":true})"), with_status.GetAllocator());
  auto st = host_->UpdateStatus(found->gvr, ns_, with_status, WriteOptions());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(json::Find(**st, "status") != nullptr);
  ASSERT_TRUE(host_->Delete(crds, "", absl::StrCat("widgets.", group), DeleteOptions()).ok());
}

TEST_F(KubeE2ETest, TwoElectorsOneLeaderAndFailover) {
  std::unique_ptr<RestClient> other = Client("host");
  struct Candidate {
    std::unique_ptr<LeaderElector> elector;
    CancellationToken stop;
    std::thread thread;
  };
  auto make = [&](RestClient& c, const std::string& id) {
    auto cand = std::make_unique<Candidate>();
    LeaderElectionConfig config;
    config.lease_namespace = ns_;
    config.lease_name = "kfed-e2e";
    config.identity = id;
    config.lease_duration = absl::Seconds(4);
    config.renew_deadline = absl::Seconds(3);
    config.retry_period = absl::Milliseconds(500);
    config.release_on_cancel = false;  // simulate a crash: the successor must wait for expiry
    cand->elector = *LeaderElector::Create(c, config);
    Candidate* p = cand.get();
    cand->thread = std::thread([p] { p->elector->Run(&p->stop); });
    return cand;
  };
  auto a = make(*host_, "a");
  auto b = make(*other, "b");
  ASSERT_TRUE(Eventually([&] { return a->elector->IsLeader() || b->elector->IsLeader(); }, kWait));
  Candidate* leader = a->elector->IsLeader() ? a.get() : b.get();
  Candidate* follower = leader == a.get() ? b.get() : a.get();
  const std::string leader_id = leader == a.get() ? "a" : "b";
  // The follower sees the leader's lease and stays a follower.
  ASSERT_TRUE(Eventually([&] { return follower->elector->Leader() == leader_id; }, kWait));
  EXPECT_TRUE(leader->elector->IsLeader());
  EXPECT_FALSE(follower->elector->IsLeader());
  leader->stop.Cancel();
  leader->thread.join();
  ASSERT_TRUE(Eventually([&] { return follower->elector->IsLeader(); }, absl::Seconds(30)));
  follower->stop.Cancel();
  follower->thread.join();
}

}  // namespace
}  // namespace kfed::kube
