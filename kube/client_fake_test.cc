#include "kube/client_fake.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "gtest/gtest.h"
#include "kube/errors.h"

namespace kfed::kube {
namespace {

rapidjson::Document Doc(absl::string_view text) {
  auto d = json::Parse(text);
  EXPECT_TRUE(d.ok()) << d.status();
  return *std::move(d);
}

rapidjson::Document Cm(absl::string_view name, absl::string_view labels = "{}",
                       absl::string_view rv = "") {
  return Doc(absl::StrCat(R"({"metadata":{"name":")", name, R"(","namespace":"ns","labels":)", labels,
                          rv.empty() ? "" : absl::StrCat(R"(,"resourceVersion":")", rv, "\""),
                          R"(},"data":{"k":"v"}})"));
}

TEST(FakeClientTest, CrudWithResourceVersionsAndConflicts) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  auto created = c.Create(cms, "", Cm("a"), WriteOptions());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Name(**created), "a");
  EXPECT_FALSE(Uid(**created).empty());
  EXPECT_EQ(json::GetString(**created, "kind"), "ConfigMap");
  EXPECT_TRUE(kube::IsAlreadyExists(c.Create(cms, "", Cm("a"), WriteOptions()).status()));

  std::string rv = ResourceVersion(**created);
  rapidjson::Document update = Cm("a", R"({"x":"1"})", rv);
  auto updated = c.Update(cms, "ns", update, WriteOptions());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_NE(ResourceVersion(**updated), rv);
  // Stale resourceVersion: conflict.
  absl::Status stale = c.Update(cms, "ns", update, WriteOptions()).status();
  EXPECT_TRUE(kube::IsConflict(stale)) << stale;
  // No-op update keeps the version.
  rapidjson::Document same = Cm("a", R"({"x":"1"})", ResourceVersion(**updated));
  EXPECT_EQ(ResourceVersion(**c.Update(cms, "ns", same, WriteOptions())), ResourceVersion(**updated));

  auto patched = c.Patch(cms, "ns", "a", PatchType::kMerge, R"({"data":{"k":null,"n":"2"}})", PatchOptions());
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(json::Serialize(*json::Find(**patched, "data")), R"({"n":"2"})");
  patched = c.Patch(cms, "ns", "a", PatchType::kJson,
                    R"([{"op":"add","path":"/data/m","value":"3"},{"op":"remove","path":"/data/n"}])", PatchOptions());
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(json::Serialize(*json::Find(**patched, "data")), R"({"m":"3"})");
  EXPECT_TRUE(kube::IsInvalid(c.Patch(cms, "ns", "a", PatchType::kJson, R"([{"op":"remove","path":"/nope"}])", PatchOptions()).status()));

  PatchOptions apply;
  apply.field_manager = "kfed";
  EXPECT_TRUE(c.Patch(cms, "ns", "b", PatchType::kApply, R"({"data":{"a":"b"}})", apply).ok());
  EXPECT_TRUE(c.Get(cms, "ns", "b").ok());

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "nope";
  EXPECT_TRUE(kube::IsConflict(c.Delete(cms, "ns", "a", wrong_uid)));
  EXPECT_TRUE(c.Delete(cms, "ns", "a", DeleteOptions()).ok());
  EXPECT_TRUE(kube::IsNotFound(c.Get(cms, "ns", "a").status()));
  EXPECT_TRUE(kube::IsNotFound(c.Delete(cms, "ns", "a", DeleteOptions())));
}

TEST(FakeClientTest, FinalizersDelayDeletion) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  auto o = c.Create(cms, "", Doc(R"({"metadata":{"name":"f","namespace":"ns","finalizers":["kfed.io/x"]}})"), WriteOptions());
  ASSERT_TRUE(o.ok());
  ASSERT_TRUE(c.Delete(cms, "ns", "f", DeleteOptions()).ok());
  auto got = c.Get(cms, "ns", "f");
  ASSERT_TRUE(got.ok());
  EXPECT_NE(json::FindPath(**got, {"metadata", "deletionTimestamp"}), nullptr);
  ASSERT_TRUE(c.Patch(cms, "ns", "f", PatchType::kMerge, R"({"metadata":{"finalizers":null}})", PatchOptions()).ok());
  EXPECT_TRUE(kube::IsNotFound(c.Get(cms, "ns", "f").status()));
}

TEST(FakeClientTest, StatusSubresourceAndGeneration) {
  FakeClient c;
  GroupVersionResource d{"apps", "v1", "deployments", true, "Deployment"};
  auto o = c.Create(d, "ns", Doc(R"({"metadata":{"name":"d"},"spec":{"replicas":1}})"), WriteOptions());
  ASSERT_TRUE(o.ok());
  auto s = c.UpdateStatus(d, "ns", Doc(R"({"metadata":{"name":"d"},"spec":{"replicas":9},"status":{"ready":1}})"), WriteOptions());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(json::Serialize(*json::Find(**s, "spec")), R"({"replicas":1})");
  EXPECT_EQ(json::Serialize(*json::Find(**s, "status")), R"({"ready":1})");
  auto u = c.Update(d, "ns", Doc(R"({"metadata":{"name":"d"},"spec":{"replicas":2}})"), WriteOptions());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(json::FindPath(**u, {"metadata", "generation"})->GetInt64(), 2);
  EXPECT_EQ(json::Serialize(*json::Find(**u, "status")), R"({"ready":1})");
}

TEST(FakeClientTest, ListSelectorsAndPaging) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(c.Create(cms, "", Cm(absl::StrCat("cm", i), i % 2 ? R"({"odd":"yes"})" : "{}"), WriteOptions()).ok());
  }
  ListOptions o;
  o.label_selector = "odd=yes";
  EXPECT_EQ(c.List(cms, "ns", o)->items.size(), 3u);
  o.label_selector = "!odd";
  EXPECT_EQ(c.List(cms, "ns", o)->items.size(), 4u);
  o.label_selector = "";
  o.field_selector = "metadata.name=cm3";
  EXPECT_EQ(c.List(cms, "", o)->items.size(), 1u);
  o.field_selector = "";
  o.limit = 3;
  std::vector<std::string> names;
  do {
    auto page = c.List(cms, "ns", o);
    ASSERT_TRUE(page.ok());
    for (const auto& it : page->items) names.push_back(Name(*it));
    o.continue_token = page->continue_token;
  } while (!o.continue_token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"cm0", "cm1", "cm2", "cm3", "cm4", "cm5", "cm6"}));
}

TEST(FakeClientTest, WatchReplaysResumesAndExpires) {
  FakeClient c;
  GroupVersionResource cms = ConfigMapsResource();
  ASSERT_TRUE(c.Create(cms, "", Cm("a"), WriteOptions()).ok());
  std::string after_a = absl::StrCat(c.CurrentResourceVersion());
  ASSERT_TRUE(c.Create(cms, "", Cm("b"), WriteOptions()).ok());

  std::vector<std::string> got;
  auto record = [&](const WatchEvent& e) {
    got.push_back(absl::StrCat(WatchEventTypeName(e.type), " ", Name(*e.object)));
    return got.size() < 2;
  };
  WatchOptions o;
  ASSERT_TRUE(c.Watch(cms, "ns", o, record, nullptr).ok());
  EXPECT_EQ(got, (std::vector<std::string>{"ADDED a", "ADDED b"}));

  got.clear();
  o.resource_version = after_a;
  std::thread writer([&] {
    while (c.ActiveWatches() == 0) std::this_thread::yield();
    ASSERT_TRUE(c.Delete(cms, "ns", "a", DeleteOptions()).ok());
  });
  ASSERT_TRUE(c.Watch(cms, "ns", o, record, nullptr).ok());
  writer.join();
  EXPECT_EQ(got, (std::vector<std::string>{"ADDED b", "DELETED a"}));

  c.Compact();
  got.clear();
  absl::Status s = c.Watch(cms, "ns", o, [&](const WatchEvent& e) {
    got.push_back(absl::StrCat(WatchEventTypeName(e.type), " ", json::GetString(*e.object, "reason")));
    return true;
  }, nullptr);
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(got, (std::vector<std::string>{"ERROR Expired"}));
}

TEST(FakeClientTest, InjectedErrors) {
  FakeClient c;
  c.InjectError("get", "configmaps", absl::UnavailableError("boom"));
  EXPECT_EQ(c.Get(ConfigMapsResource(), "ns", "x").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(kube::IsNotFound(c.Get(ConfigMapsResource(), "ns", "x").status()));
}

TEST(FakeClientTest, RawBodiesAndHandlers) {
  FakeClient c;
  EXPECT_TRUE(kube::IsNotFound(c.GetRaw("/readyz").status()));
  c.SetRaw("/readyz", "ok");
  EXPECT_EQ(*c.GetRaw("/readyz"), "ok");
  // A handler wins over the body and may fail like an unreachable server.
  c.SetRawHandler("/readyz", [] { return absl::UnavailableError("connection refused"); });
  EXPECT_EQ(c.GetRaw("/readyz").status().code(), absl::StatusCode::kUnavailable);
  c.SetRawHandler("/readyz", nullptr);
  EXPECT_EQ(*c.GetRaw("/readyz"), "ok");
}

}  // namespace
}  // namespace kfed::kube
