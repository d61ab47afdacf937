#include "status/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/clock.h"

namespace kfed::status {
namespace {

constexpr int64_t kStart = 1000;

v1::FederatedObject Object(const std::string& type, const std::string& ns, const std::string& name,
                           std::vector<std::pair<std::string, std::string>> cluster_states) {
  v1::FederatedObject o;
  o.mutable_ref()->set_type(type);
  o.mutable_ref()->set_kind("FederatedConfigMap");
  o.mutable_ref()->set_namespace_(ns);
  o.mutable_ref()->set_name(name);
  o.set_generation(1);
  o.set_propagation("True");
  for (const auto& [cluster, state] : cluster_states) {
    v1::ClusterState* c = o.add_clusters();
    c->set_cluster(cluster);
    c->set_state(state);
  }
  return o;
}

v1::Cluster ClusterOf(const std::string& name, const std::string& health) {
  v1::Cluster c;
  c.set_name(name);
  c.set_health(health);
  c.set_kubernetes_version("v1.36.3");
  return c;
}

StoreOptions Options(size_t history = 100, size_t queue = 100) {
  StoreOptions o;
  o.history_size = history;
  o.watcher_queue_size = queue;
  o.initial_revision = kStart;
  return o;
}

// Drains a watcher without waiting.
std::vector<EventPtr> Drain(Watcher& w) {
  std::vector<EventPtr> events;
  while (true) {
    absl::StatusOr<EventPtr> e = w.TryNext();
    if (!e.ok() || *e == nullptr) return events;
    events.push_back(*e);
  }
}

std::string Describe(const EventPtr& e) {
  const char* type = v1::WatchEvent::Type_Name(e->type()).c_str();
  std::string subject = e->has_cluster()  ? "cluster " + e->cluster().name()
                        : e->has_object() ? "object " + e->object().ref().name()
                                          : "-";
  return std::string(type) + " " + std::to_string(e->revision()) + " " + subject;
}

std::vector<std::string> Describe(const std::vector<EventPtr>& events) {
  std::vector<std::string> out;
  for (const EventPtr& e : events) out.push_back(Describe(e));
  return out;
}

TEST(StatusStoreTest, RevisionMovesOnlyOnChange) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  EXPECT_EQ(store.Revision(), kStart);
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Pending"}}));
  EXPECT_EQ(store.Revision(), kStart + 1);
  // The same content again: the controller at rest does not churn revisions.
  for (int i = 0; i < 5; ++i)
    store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Pending"}}));
  EXPECT_EQ(store.Revision(), kStart + 1);
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Propagated"}}));
  EXPECT_EQ(store.Revision(), kStart + 2);
  store.UpsertCluster(ClusterOf("m1", "Ready"));
  store.UpsertCluster(ClusterOf("m1", "Ready"));
  EXPECT_EQ(store.Revision(), kStart + 3);
  store.RemoveObject(Object("configmaps", "ns", "missing", {}).ref());
  store.RemoveCluster("missing");
  EXPECT_EQ(store.Revision(), kStart + 3);
  store.RemoveObject(Object("configmaps", "ns", "a", {}).ref());
  store.RemoveCluster("m1");
  EXPECT_EQ(store.Revision(), kStart + 5);
  EXPECT_EQ(store.ListObjects({}).objects_size(), 0);
  EXPECT_EQ(store.ListClusters().clusters_size(), 0);
}

TEST(StatusStoreTest, DefaultInitialRevisionIsTheClockInMicroseconds) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  StatusStore store({}, clock);
  EXPECT_EQ(store.Revision(), int64_t{1700000000} * 1000000);
}

TEST(StatusStoreTest, LastTransitionKeptWhileStateAndReasonStay) {
  FakeClock clock(absl::FromUnixMillis(5000));
  StatusStore store(Options(), clock);
  struct Step {
    std::string state;
    std::string reason;
    std::string message;
    int64_t advance_ms;
    int64_t want_transition_ms;
  };
  const std::vector<Step> steps = {
      {"Pending", "", "", 0, 5000},
      {"Pending", "", "", 100, 5000},                          // unchanged
      {"Error", "ApplyOverridesFailed", "path x", 100, 5200},  // state changed
      {"Error", "ApplyOverridesFailed", "path y", 100, 5200},  // only the message changed
      {"Error", "UpdateFailed", "quota", 100, 5400},           // reason changed
      {"Propagated", "", "", 100, 5500},
  };
  for (const Step& s : steps) {
    clock.Advance(absl::Milliseconds(s.advance_ms));
    v1::FederatedObject o = Object("configmaps", "ns", "a", {{"m1", s.state}});
    o.mutable_clusters(0)->set_reason(s.reason);
    o.mutable_clusters(0)->set_message(s.message);
    store.UpsertObject(o);
    v1::ListObjectsResponse list = store.ListObjects({});
    ASSERT_EQ(list.objects_size(), 1);
    EXPECT_EQ(list.objects(0).clusters(0).last_transition_unix_ms(), s.want_transition_ms)
        << s.state << " " << s.reason << " " << s.message;
  }
  // Clusters: the same for health and reason.
  store.UpsertCluster(ClusterOf("m1", "Ready"));
  const int64_t ready_at = store.ListClusters().clusters(0).last_transition_unix_ms();
  clock.Advance(absl::Seconds(1));
  store.UpsertCluster(ClusterOf("m1", "Ready"));
  EXPECT_EQ(store.ListClusters().clusters(0).last_transition_unix_ms(), ready_at);
  store.UpsertCluster(ClusterOf("m1", "Offline"));
  EXPECT_EQ(store.ListClusters().clusters(0).last_transition_unix_ms(), ready_at + 1000);
}

TEST(StatusStoreTest, ListFiltersAndSorts) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  store.UpsertObject(Object("deployments.apps", "b", "web", {{"m1", "Propagated"}}));
  store.UpsertObject(Object("configmaps", "b", "z", {{"m1", "Propagated"}, {"m2", "Error"}}));
  store.UpsertObject(Object("configmaps", "a", "y", {{"m2", "Pending"}}));
  store.UpsertObject(Object("namespaces", "", "a", {}));
  struct Case {
    std::string type, ns, state;
    std::vector<std::string> want;  // type/ns/name
  };
  const std::vector<Case> cases = {
      {"", "", "", {"configmaps/a/y", "configmaps/b/z", "deployments.apps/b/web", "namespaces//a"}},
      {"configmaps", "", "", {"configmaps/a/y", "configmaps/b/z"}},
      {"", "b", "", {"configmaps/b/z", "deployments.apps/b/web"}},
      {"", "", "Error", {"configmaps/b/z"}},
      {"", "", "Propagated", {"configmaps/b/z", "deployments.apps/b/web"}},
      {"configmaps", "b", "Pending", {}},
      {"nosuchtype", "", "", {}},
  };
  for (const Case& c : cases) {
    v1::ListObjectsRequest request;
    request.set_type(c.type);
    request.set_namespace_(c.ns);
    request.set_state(c.state);
    v1::ListObjectsResponse list = store.ListObjects(request);
    std::vector<std::string> got;
    for (const auto& o : list.objects()) {
      got.push_back(o.ref().type() + "/" + o.ref().namespace_() + "/" + o.ref().name());
    }
    EXPECT_EQ(got, c.want) << c.type << "|" << c.ns << "|" << c.state;
    EXPECT_EQ(list.revision(), kStart + 4);
  }
}

TEST(StatusStoreTest, ClustersOfAnObjectAreSortedAndObjectsCarryTheirRevision) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m2", "Pending"}, {"m1", "Pending"}}));
  store.UpsertObject(Object("configmaps", "ns", "b", {}));
  v1::ListObjectsResponse list = store.ListObjects({});
  ASSERT_EQ(list.objects_size(), 2);
  EXPECT_EQ(list.objects(0).clusters(0).cluster(), "m1");
  EXPECT_EQ(list.objects(0).clusters(1).cluster(), "m2");
  EXPECT_EQ(list.objects(0).revision(), kStart + 1);
  EXPECT_EQ(list.objects(1).revision(), kStart + 2);
}

TEST(StatusStoreTest, EventsAfterResumesOrSaysOutOfRange) {
  FakeClock clock;
  StatusStore store(Options(/*history=*/3), clock);
  store.UpsertCluster(ClusterOf("m1", "Ready"));                             // 1001
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Pending"}}));  // 1002
  struct Case {
    int64_t after;
    std::vector<std::string> want;  // empty with ok=false: OUT_OF_RANGE
    bool ok;
  };
  const std::vector<Case> before_trim = {
      {kStart, {"ADDED 1001 cluster m1", "ADDED 1002 object a"}, true},
      {kStart + 1, {"ADDED 1002 object a"}, true},
      {kStart + 2, {}, true},
      {kStart - 1, {}, false},
      {kStart + 3, {}, false},  // a revision this store never handed out
      {0, {"ADDED 1002 cluster m1", "ADDED 1002 object a", "BOOKMARK 1002 -"}, true},
  };
  for (const Case& c : before_trim) {
    absl::StatusOr<EventBatch> batch = store.EventsAfter(c.after);
    ASSERT_EQ(batch.ok(), c.ok) << c.after << ": " << batch.status();
    if (!c.ok) {
      EXPECT_EQ(batch.status().code(), absl::StatusCode::kOutOfRange);
      EXPECT_NE(batch.status().message().find("list again and watch from the list's revision"),
                absl::string_view::npos);
      continue;
    }
    EXPECT_EQ(Describe(batch->events), c.want) << c.after;
    EXPECT_EQ(batch->revision, kStart + 2);
  }
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Propagated"}}));  // 1003
  store.UpsertObject(Object("configmaps", "ns", "b", {}));                      // 1004
  EXPECT_EQ(store.HistorySize(), 3u);
  EXPECT_EQ(store.EventsAfter(kStart).status().code(), absl::StatusCode::kOutOfRange);
  absl::StatusOr<EventBatch> batch = store.EventsAfter(kStart + 1);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(Describe(batch->events),
            (std::vector<std::string>{"ADDED 1002 object a", "MODIFIED 1003 object a",
                                      "ADDED 1004 object b"}));
}

TEST(StatusStoreTest, WatchFromZeroThenChanges) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  store.UpsertCluster(ClusterOf("m1", "Ready"));
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Pending"}}));
  std::atomic<int> ready{0};
  absl::StatusOr<std::shared_ptr<Watcher>> w = store.Watch(0, [&] { ++ready; });
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(Describe(Drain(**w)),
            (std::vector<std::string>{"ADDED 1002 cluster m1", "ADDED 1002 object a",
                                      "BOOKMARK 1002 -"}));
  EXPECT_EQ((*w)->CaughtUpRevision(), kStart + 2);
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Propagated"}}));
  store.RemoveCluster("m1");
  EXPECT_EQ(ready.load(), 2);
  EXPECT_EQ((*w)->CaughtUpRevision(), -1);
  std::vector<EventPtr> events = Drain(**w);
  EXPECT_EQ(Describe(events),
            (std::vector<std::string>{"MODIFIED 1003 object a", "DELETED 1004 cluster m1"}));
  EXPECT_EQ(events[0]->object().clusters(0).state(), "Propagated");
  EXPECT_EQ(events[0]->object().revision(), kStart + 3);
  EXPECT_EQ((*w)->CaughtUpRevision(), kStart + 4);
  store.Unwatch(w->get());
  EXPECT_EQ(store.WatcherCount(), 0u);
  store.UpsertCluster(ClusterOf("m1", "Ready"));
  EXPECT_EQ(ready.load(), 2);
}

TEST(StatusStoreTest, WatchResumesFromAListRevisionWithExactlyTheLaterChanges) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Pending"}}));
  const int64_t listed = store.ListObjects({}).revision();
  store.UpsertObject(Object("configmaps", "ns", "b", {{"m1", "Pending"}}));
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Error"}}));
  absl::StatusOr<std::shared_ptr<Watcher>> w = store.Watch(listed, nullptr);
  ASSERT_TRUE(w.ok()) << w.status();
  store.RemoveObject(Object("configmaps", "ns", "b", {}).ref());
  EXPECT_EQ(Describe(Drain(**w)),
            (std::vector<std::string>{"ADDED 1002 object b", "MODIFIED 1003 object a",
                                      "BOOKMARK 1003 -", "DELETED 1004 object b"}));
}

TEST(StatusStoreTest, ASlowWatcherIsDroppedAndPublishingGoesOn) {
  FakeClock clock;
  StatusStore store(Options(/*history=*/10, /*queue=*/4), clock);
  store.UpsertObject(Object("configmaps", "ns", "seed", {}));
  absl::StatusOr<std::shared_ptr<Watcher>> slow = store.Watch(0, nullptr);
  absl::StatusOr<std::shared_ptr<Watcher>> fast = store.Watch(0, nullptr);
  ASSERT_TRUE(slow.ok() && fast.ok());
  // The initial state does not count against the queue.
  for (int i = 0; i < 100; ++i) {
    store.UpsertObject(Object("configmaps", "ns", "o" + std::to_string(i), {}));
    Drain(**fast);
  }
  EXPECT_EQ(store.Revision(), kStart + 101);
  EXPECT_EQ((*slow)->Queued(), 0u);  // its memory is released at once
  absl::StatusOr<EventPtr> next = (*slow)->TryNext();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(next.status().message(), kFellBehindMessage);
  EXPECT_EQ(store.WatcherCount(), 1u);
  EXPECT_EQ(store.HistorySize(), 10u);
  EXPECT_TRUE((*fast)->TryNext().ok());
}

TEST(StatusStoreTest, RemoveTypeDeletesItsObjectsOnly) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  store.UpsertObject(Object("configmaps", "ns", "a", {}));
  store.UpsertObject(Object("configmaps", "ns", "b", {}));
  store.UpsertObject(Object("secrets", "ns", "a", {}));
  absl::StatusOr<std::shared_ptr<Watcher>> w = store.Watch(store.Revision(), nullptr);
  ASSERT_TRUE(w.ok());
  store.RemoveType("configmaps");
  EXPECT_EQ(Describe(Drain(**w)),
            (std::vector<std::string>{"BOOKMARK 1003 -", "DELETED 1004 object a",
                                      "DELETED 1005 object b"}));
  ASSERT_EQ(store.ListObjects({}).objects_size(), 1);
  EXPECT_EQ(store.ListObjects({}).objects(0).ref().type(), "secrets");
}

TEST(StatusStoreTest, GetObjectRendersThroughTheTypesRenderer) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  store.UpsertObject(Object("configmaps", "ns", "a", {{"m1", "Propagated"}}));
  v1::GetObjectRequest request;
  request.mutable_ref()->set_type("configmaps");
  request.mutable_ref()->set_namespace_("ns");
  request.mutable_ref()->set_name("a");

  // Without a cluster: no rendering.
  absl::StatusOr<v1::GetObjectResponse> got = store.GetObject(request);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->object().ref().name(), "a");
  EXPECT_EQ(got->rendered_json(), "");

  request.set_cluster("m1");
  got = store.GetObject(request);
  ASSERT_TRUE(got.ok());
  EXPECT_NE(got->render_error().find("no running sync controller"), std::string::npos);

  store.SetRenderer(
      "configmaps", TypeInfo{"types.kubefed.io", "federatedconfigmaps", true, Sensitivity::kNone},
      [](const std::string& ns, const std::string& name,
         const std::string& cluster) -> absl::StatusOr<RenderResult> {
        if (cluster == "bad") return RenderResult{"", "[]", "overrides[0]: path not found"};
        return RenderResult{"{\"name\":\"" + ns + "/" + name + "@" + cluster + "\"}", "[]", ""};
      });
  got = store.GetObject(request);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rendered_json(), "{\"name\":\"ns/a@m1\"}");
  EXPECT_EQ(got->render_error(), "");
  request.set_cluster("bad");
  got = store.GetObject(request);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->render_error(), "overrides[0]: path not found");

  request.mutable_ref()->set_name("missing");
  EXPECT_EQ(store.GetObject(request).status().code(), absl::StatusCode::kNotFound);

  store.RemoveRenderer("configmaps");
  request.mutable_ref()->set_name("a");
  got = store.GetObject(request);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rendered_json(), "");
}

TEST(StatusStoreTest, CloseEndsWatchesAndWakesWaiters) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  absl::StatusOr<std::shared_ptr<Watcher>> w = store.Watch(0, nullptr);
  ASSERT_TRUE(w.ok());
  std::thread waiter(
      [&] { EXPECT_FALSE(store.AwaitRevisionAfter(store.Revision(), absl::InfiniteDuration())); });
  store.Close();
  waiter.join();
  Drain(**w);
  EXPECT_EQ((*w)->TryNext().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(store.Watch(0, nullptr).status().code(), absl::StatusCode::kCancelled);
}

TEST(StatusStoreTest, AwaitRevisionAfterReturnsOnAChange) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  const int64_t at = store.Revision();
  std::thread publisher([&] { store.UpsertCluster(ClusterOf("m1", "Ready")); });
  EXPECT_TRUE(store.AwaitRevisionAfter(at, absl::InfiniteDuration()));
  publisher.join();
  EXPECT_FALSE(store.AwaitRevisionAfter(store.Revision(), absl::ZeroDuration()));
}

TEST(StatusStoreTest, SchedulingPreferencesAreListedSortedWithoutRevisions) {
  FakeClock clock;
  StatusStore store(Options(), clock);
  const int64_t at = store.Revision();
  auto rsp = [](const std::string& ns, const std::string& name, int64_t total) {
    v1::SchedulingPreference p;
    p.set_namespace_(ns);
    p.set_name(name);
    p.set_total_replicas(total);
    for (const char* c : {"m2", "m1"}) p.add_clusters()->set_cluster(c);
    return p;
  };
  store.UpsertSchedulingPreference(rsp("b", "web", 3));
  store.UpsertSchedulingPreference(rsp("a", "web", 9));
  store.UpsertSchedulingPreference(rsp("a", "api", 1));
  store.UpsertSchedulingPreference(rsp("b", "web", 4));  // replaces
  v1::ListSchedulingPreferencesResponse all = store.ListSchedulingPreferences({});
  ASSERT_EQ(all.preferences_size(), 3);
  EXPECT_EQ(all.preferences(0).name(), "api");
  EXPECT_EQ(all.preferences(1).total_replicas(), 9);
  EXPECT_EQ(all.preferences(2).total_replicas(), 4);
  EXPECT_EQ(all.preferences(0).clusters(0).cluster(), "m1");  // sorted by cluster
  v1::ListSchedulingPreferencesRequest in_b;
  in_b.set_namespace_("b");
  EXPECT_EQ(store.ListSchedulingPreferences(in_b).preferences_size(), 1);
  // Not part of the revisioned state: no revision, no watch event.
  EXPECT_EQ(store.Revision(), at);
  store.RemoveSchedulingPreference("a", "web");
  EXPECT_EQ(store.ListSchedulingPreferences({}).preferences_size(), 2);
  store.Close();
  store.UpsertSchedulingPreference(rsp("c", "late", 1));  // ignored once closed
  EXPECT_EQ(store.ListSchedulingPreferences({}).preferences_size(), 2);
}

}  // namespace
}  // namespace kfed::status
