#include "kube/informer.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/fake_apiserver.h"

namespace kfed::kube {
namespace {

class Recorder {
 public:
  EventHandlers Handlers() {
    EventHandlers h;
    h.on_add = [this](const ObjectPtr& o) { Add(absl::StrCat("add ", ObjectKeyOf(*o))); };
    h.on_update = [this](const ObjectPtr& old, const ObjectPtr& o) {
      Add(absl::StrCat(old == o ? "resync " : "update ", ObjectKeyOf(*o)));
    };
    h.on_delete = [this](const ObjectPtr& o) { Add(absl::StrCat("delete ", ObjectKeyOf(*o))); };
    return h;
  }
  // Waits until `n` events have been recorded, then returns and clears them.
  std::vector<std::string> Take(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
    std::vector<std::string> out;
    out.swap(events_);
    return out;
  }

 private:
  void Add(std::string e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(e));
  }
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

rapidjson::Document Cm(absl::string_view ns, absl::string_view name, absl::string_view team = "") {
  auto d = json::Parse(absl::StrCat(R"({"metadata":{"name":")", name, R"(","namespace":")", ns,
                                    R"(","labels":{)", team.empty() ? "" : absl::StrCat(R"("team":")", team, "\""),
                                    R"(}},"data":{}})"));
  return *std::move(d);
}

InformerOptions Options() {
  InformerOptions o;
  o.gvr = ConfigMapsResource();
  o.page_size = 2;
  o.initial_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(5);
  return o;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(InformerTest, SyncsThenFollowsEventsWithIndexes) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  for (const char* n : {"a", "b", "c", "d", "e"}) {
    ASSERT_TRUE(c.Create(cms, "", Cm(n[0] < 'c' ? "x" : "y", n, n[0] == 'a' ? "red" : "blue"), WriteOptions()).ok());
  }
  Recorder rec;
  Informer inf(c, Options());
  inf.AddEventHandler(rec.Handlers());
  inf.AddIndexer("team", LabelIndex("team"));
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  EXPECT_EQ(Sorted(rec.Take(5)), (std::vector<std::string>{"add x/a", "add x/b", "add y/c", "add y/d", "add y/e"}));
  EXPECT_EQ(inf.Size(), 5u);
  EXPECT_EQ(inf.List("x").size(), 2u);
  EXPECT_EQ(inf.ByIndex("team", "blue").size(), 4u);
  ASSERT_NE(inf.Get("y", "c"), nullptr);

  ASSERT_TRUE(c.Patch(cms, "y", "c", PatchType::kMerge, R"({"metadata":{"labels":{"team":"red"}}})", PatchOptions()).ok());
  ASSERT_TRUE(c.Delete(cms, "x", "a", DeleteOptions()).ok());
  ASSERT_TRUE(c.Create(cms, "", Cm("z", "f"), WriteOptions()).ok());
  EXPECT_EQ(rec.Take(3), (std::vector<std::string>{"update y/c", "delete x/a", "add z/f"}));
  EXPECT_EQ(inf.ByIndex("team", "red").size(), 1u);  // c moved, a is gone
  EXPECT_EQ(inf.Get("x", "a"), nullptr);
  EXPECT_EQ(inf.Lists(), 1);
  inf.Stop();
}

TEST(InformerTest, SyncedCallbackRunsOnceAfterTheFirstListsAdds) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(c.Create(cms, "", Cm("x", n), WriteOptions()).ok());
  }
  Informer inf(c, Options());
  absl::Mutex mu;
  std::vector<std::string> seen;  // guarded by mu
  EventHandlers h;
  h.on_add = [&](const ObjectPtr& o) {
    absl::MutexLock lock(&mu);
    seen.push_back(absl::StrCat("add ", ObjectKeyOf(*o)));
  };
  inf.AddEventHandler(h);
  inf.AddSyncedCallback([&] {
    const bool synced = inf.HasSynced();
    absl::MutexLock lock(&mu);
    seen.push_back(synced ? "synced" : "synced before HasSynced");
  });
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  ASSERT_TRUE(c.Create(cms, "", Cm("x", "d"), WriteOptions()).ok());
  {
    absl::MutexLock lock(&mu);
    auto four = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return seen.size() >= 5; };
    mu.AwaitWithTimeout(absl::Condition(&four), absl::Seconds(20));
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_EQ(Sorted({seen[0], seen[1], seen[2]}),
              (std::vector<std::string>{"add x/a", "add x/b", "add x/c"}));
    EXPECT_EQ(seen[3], "synced");
    EXPECT_EQ(seen[4], "add x/d");
  }
  inf.Stop();
}

TEST(InformerTest, RelistAfterGoneDeliversMissedDeletes) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(c.Create(cms, "", Cm("ns", n), WriteOptions()).ok());
  Recorder rec;
  Informer inf(c, Options());
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  rec.Take(3);

  // Cut the watch and keep it down while the world changes and history is compacted.
  c.InjectError("watch", "configmaps", absl::UnavailableError("down"), 1 << 30);
  c.CloseWatches();
  ASSERT_TRUE(::kfed::testing::Eventually([&] { return c.ActiveWatches() == 0; }));
  ASSERT_TRUE(c.Delete(cms, "ns", "b", DeleteOptions()).ok());
  ASSERT_TRUE(c.Patch(cms, "ns", "c", PatchType::kMerge, R"({"data":{"k":"v"}})", PatchOptions()).ok());
  ASSERT_TRUE(c.Create(cms, "", Cm("ns", "d"), WriteOptions()).ok());
  c.Compact();
  c.ClearInjectedErrors();

  EXPECT_EQ(Sorted(rec.Take(3)), (std::vector<std::string>{"add ns/d", "delete ns/b", "update ns/c"}));
  EXPECT_EQ(inf.Lists(), 2);
  EXPECT_EQ(inf.Size(), 3u);
  EXPECT_EQ(inf.Get("ns", "b"), nullptr);
}

TEST(InformerTest, ResyncOnFakeClock) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  ASSERT_TRUE(c.Create(cms, "", Cm("ns", "a"), WriteOptions()).ok());
  FakeClock clock;
  InformerOptions o = Options();
  o.resync_period = absl::Minutes(10);
  Recorder rec;
  Informer inf(c, o, clock);
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  EXPECT_EQ(rec.Take(1), (std::vector<std::string>{"add ns/a"}));
  clock.Advance(absl::Minutes(11));
  EXPECT_EQ(rec.Take(1), (std::vector<std::string>{"resync ns/a"}));
}

TEST(InformerTest, LabelSelectorAndStopWhileListFails) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  ASSERT_TRUE(c.Create(cms, "", Cm("ns", "a", "red"), WriteOptions()).ok());
  ASSERT_TRUE(c.Create(cms, "", Cm("ns", "b", "blue"), WriteOptions()).ok());
  InformerOptions o = Options();
  o.label_selector = "team=red";
  Informer inf(c, o);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  EXPECT_EQ(inf.Size(), 1u);
  inf.Stop();

  c.InjectError("list", "", absl::UnavailableError("down"), 1 << 30);
  Informer broken(c, Options());
  EXPECT_TRUE(broken.LastListError().ok());
  broken.Start();
  EXPECT_FALSE(broken.WaitForSync(absl::Milliseconds(50)));
  // Why it has not synced, for status messages.
  EXPECT_EQ(broken.LastListError().message(), "down");
  broken.Stop();  // returns although the list keeps failing
}

TEST(InformerTest, LastListErrorClearsOnceAListSucceeds) {
  FakeClient c;
  c.InjectError("list", "", absl::PermissionDeniedError("forbidden"), 3);
  Informer inf(c, Options());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  EXPECT_TRUE(inf.LastListError().ok()) << inf.LastListError();
  inf.Stop();
}

}  // namespace
}  // namespace kfed::kube

namespace kfed::kube {
namespace {

std::string CmJson(absl::string_view name, int rv) {
  return absl::StrCat(R"({"metadata":{"name":")", name, R"(","namespace":"ns","resourceVersion":")", rv, "\"}}");
}

// Against a real HTTP server: the watch gets a 410 ERROR event in the middle of the stream;
// the informer relists and reports what changed while it was not watching.
TEST(InformerHttpTest, GoneMidWatchRelistsAndDeliversDeletes) {
  testing::FakeApiServer server;
  std::atomic<int> lists{0};
  absl::Notification release;
  server.http().Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("watch") != "true") {
      int n = lists++;
      std::string items = n == 0 ? absl::StrCat(CmJson("a", 5), ",", CmJson("b", 6), ",", CmJson("c", 7))
                                 : absl::StrCat(CmJson("a", 11), ",", CmJson("c", 7), ",", CmJson("d", 19));
      res.set_content(absl::StrCat(R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":")",
                                   n == 0 ? 10 : 20, R"("},"items":[)", items, "]}"),
                      "application/json");
      return;
    }
    std::string rv = req.get_param_value("resourceVersion");
    res.set_chunked_content_provider("application/json", [&, rv](size_t, httplib::DataSink& sink) {
      if (rv == "10") {
        std::string out = absl::StrCat(R"({"type":"MODIFIED","object":)", CmJson("a", 11), "}\n",
                                       R"j({"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 10 (15)","reason":"Expired","code":410}})j", "\n");
        sink.write(out.data(), out.size());
        sink.done();
        return true;
      }
      // The second watch stays open until the test ends.
      return !release.WaitForNotificationWithTimeout(absl::Milliseconds(50));
    });
  });
  server.Start();
  RestConfig config = server.Config();
  auto client = RestClient::Create(config);
  ASSERT_TRUE(client.ok());
  Recorder rec;
  InformerOptions o = Options();
  o.ns = "ns";
  o.page_size = 0;
  Informer inf(**client, o);
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  EXPECT_EQ(rec.Take(3), (std::vector<std::string>{"add ns/a", "add ns/b", "add ns/c"}));
  // MODIFIED a, then the 410: relist finds b gone and d new (a unchanged since rv 11).
  EXPECT_EQ(rec.Take(3), (std::vector<std::string>{"update ns/a", "add ns/d", "delete ns/b"}));
  EXPECT_EQ(inf.Lists(), 2);
  EXPECT_EQ(inf.LastResourceVersion(), "20");
  inf.Stop();
  release.Notify();
}

}  // namespace
}  // namespace kfed::kube

namespace kfed::kube {
namespace {

// Cached objects lose metadata.managedFields (listed and watched alike) and keep the rest.
TEST(InformerTest, DropsManagedFieldsFromCachedObjects) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  auto with_managed = [](absl::string_view name, absl::string_view value) {
    return *json::Parse(absl::StrCat(
        R"({"metadata":{"name":")", name,
        R"(","namespace":"x","labels":{"a":"b"},"managedFields":[{"manager":"kubectl",)",
        R"("operation":"Update","fieldsV1":{"f:data":{"f:k":{}}}}]},"data":{"k":")", value,
        R"("}})"));
  };
  ASSERT_TRUE(c.Create(cms, "x", with_managed("listed", "1"), WriteOptions()).ok());
  Recorder rec;
  Informer inf(c, Options());
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  ASSERT_EQ(rec.Take(1).size(), 1u);
  ASSERT_TRUE(c.Create(cms, "x", with_managed("watched", "2"), WriteOptions()).ok());
  ASSERT_EQ(rec.Take(1), (std::vector<std::string>{"add x/watched"}));
  ASSERT_EQ(inf.Size(), 2u);
  for (const ObjectPtr& o : inf.List("x")) {
    const rapidjson::Value* meta = json::Find(*o, "metadata");
    ASSERT_NE(meta, nullptr);
    EXPECT_FALSE(meta->HasMember("managedFields")) << ObjectKeyOf(*o);
    EXPECT_EQ(json::GetString(*json::Find(*meta, "labels"), "a"), "b");
    EXPECT_FALSE(json::GetString(*json::Find(*o, "data"), "k").empty());
  }
  // Kept when asked to.
  InformerOptions keep = Options();
  keep.keep_managed_fields = true;
  Informer kept(c, keep);
  kept.Start();
  ASSERT_TRUE(kept.WaitForSync(absl::Seconds(20)));
  for (const ObjectPtr& o : kept.List("x")) {
    EXPECT_TRUE(json::Find(*o, "metadata")->HasMember("managedFields")) << ObjectKeyOf(*o);
  }
}

// The store keeps text: every read is the caller's own snapshot of the latest state, a
// snapshot held across an update keeps what it was, Keys() names without parsing, and the
// cache holds less than the snapshots would.
TEST(InformerTest, StoresTextAndGivesEachReadItsOwnSnapshot) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  for (const char* n : {"a", "b", "c"}) {
    ASSERT_TRUE(c.Create(cms, "", Cm(n[0] == 'c' ? "y" : "x", n, "red"), WriteOptions()).ok());
  }
  Recorder rec;
  Informer inf(c, Options());
  inf.AddEventHandler(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  ASSERT_EQ(rec.Take(3).size(), 3u);
  EXPECT_EQ(Sorted(inf.Keys()), (std::vector<std::string>{"x/a", "x/b", "y/c"}));
  EXPECT_EQ(Sorted(inf.Keys("x")), (std::vector<std::string>{"x/a", "x/b"}));
  EXPECT_TRUE(inf.Keys("none").empty());

  ObjectPtr first = inf.Get("x", "a");
  ObjectPtr second = inf.Get("x", "a");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(first.get(), second.get());
  EXPECT_EQ(CompactJson(*first), CompactJson(*second));

  ASSERT_TRUE(c.Patch(cms, "x", "a", PatchType::kMerge, R"({"data":{"k":"v2"}})", PatchOptions()).ok());
  EXPECT_EQ(rec.Take(1), (std::vector<std::string>{"update x/a"}));
  EXPECT_EQ(json::GetString(*json::Find(*inf.Get("x", "a"), "data"), "k"), "v2");
  EXPECT_EQ(json::Find(*first, "data")->MemberCount(), 0u) << "a held snapshot changed";
  EXPECT_NE(ResourceVersion(*first), ResourceVersion(*inf.Get("x", "a")));

  size_t snapshots = 0;
  size_t text = 0;
  for (const ObjectPtr& o : inf.List()) {
    snapshots += ObjectBytes(o);
    text += CompactJson(*o).size();
  }
  EXPECT_GE(inf.CachedBytes(), text);
  EXPECT_LT(inf.CachedBytes(), snapshots);
  inf.Stop();
}

// With a compression dictionary built in the middle of the first list (its 4th object), every
// object reads back as the server has it: those stored before the dictionary, after it, and
// those changed, relabelled or deleted by watch events since.
TEST(InformerTest, CompressedCacheReadsBackEveryObject) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(c.Create(cms, "", Cm(i % 2 ? "x" : "y", absl::StrCat("cm", i), i < 10 ? "red" : "blue"),
                         WriteOptions()).ok());
  }
  InformerOptions o = Options();
  o.compression_samples = 4;
  Recorder rec;
  Informer inf(c, o);
  inf.AddEventHandler(rec.Handlers());
  inf.AddIndexer("team", LabelIndex("team"));
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(20)));
  ASSERT_EQ(rec.Take(30).size(), 30u);
  ASSERT_TRUE(c.Patch(cms, "x", "cm1", PatchType::kMerge, R"({"metadata":{"labels":{"team":"blue"}},"data":{"k":"v"}})",
                      PatchOptions()).ok());
  ASSERT_TRUE(c.Delete(cms, "y", "cm2", DeleteOptions()).ok());
  ASSERT_TRUE(c.Create(cms, "", Cm("z", "late", "red"), WriteOptions()).ok());
  ASSERT_EQ(rec.Take(3), (std::vector<std::string>{"update x/cm1", "delete y/cm2", "add z/late"}));

  absl::StatusOr<ObjectList> server = c.List(cms, "", ListOptions());
  ASSERT_TRUE(server.ok());
  ASSERT_EQ(server->items.size(), 30u);
  EXPECT_EQ(inf.Size(), 30u);
  for (const ObjectPtr& want : server->items) {
    ObjectPtr got = inf.Get(Namespace(*want), Name(*want));
    ASSERT_NE(got, nullptr) << ObjectKeyOf(*want);
    EXPECT_EQ(CompactJson(*got), CompactJson(*want, /*drop_managed_fields=*/true));
  }
  EXPECT_EQ(inf.ByIndex("team", "red").size(), 9u);  // cm0..cm9 less cm1 and cm2, plus late
  EXPECT_EQ(inf.List("x").size(), 15u);
  EXPECT_EQ(inf.Get("y", "cm2"), nullptr);
  inf.Stop();
}

}  // namespace
}  // namespace kfed::kube
