#include "controller/object_meta.h"

#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

std::string Finalizers(const rapidjson::Value& object) {
  const rapidjson::Value* f = json::FindPath(object, {"metadata", "finalizers"});
  return f == nullptr ? "<none>" : json::Serialize(*f);
}

TEST(SetFinalizerTest, Table) {
  struct Case {
    const char* object;
    bool present;
    bool changed;
    const char* finalizers;
  } cases[] = {
      {R"({})", true, true, R"(["kfed"])"},
      {R"({"metadata":{"finalizers":null}})", true, true, R"(["kfed"])"},
      {R"({"metadata":{"finalizers":["a"]}})", true, true, R"(["a","kfed"])"},
      {R"({"metadata":{"finalizers":["kfed","a"]}})", true, false, R"(["kfed","a"])"},
      {R"({"metadata":{"finalizers":["a","kfed","b","kfed"]}})", false, true, R"(["a","b"])"},
      {R"({"metadata":{"finalizers":["a",1]}})", false, false, R"(["a",1])"},
      {R"({"metadata":{}})", false, false, "<none>"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<rapidjson::Document> doc = json::Parse(c.object);
    ASSERT_TRUE(doc.ok()) << c.object;
    EXPECT_EQ(SetFinalizer(*doc, "kfed", c.present), c.changed) << c.object;
    EXPECT_EQ(Finalizers(*doc), c.finalizers) << c.object;
    EXPECT_EQ(HasFinalizer(*doc, "kfed"), c.present) << c.object;
  }
}

TEST(ManagedByKfedTest, OnlyTheExactLabel) {
  EXPECT_TRUE(ManagedByKfed(
      testing::Json(R"({"metadata":{"labels":{"app.kubernetes.io/managed-by":"kfed"}}})")));
  for (const char* object : {
           R"({})",
           R"({"metadata":{}})",
           R"({"metadata":{"labels":null}})",
           R"({"metadata":{"labels":{"app.kubernetes.io/managed-by":"Helm"}}})",
           R"({"metadata":{"labels":{"app.kubernetes.io/managed-by":true}}})",
           R"({"metadata":{"labels":{"kubefed.io/managed":"true"}}})",
       }) {
    EXPECT_FALSE(ManagedByKfed(testing::Json(object))) << object;
  }
}

TEST(ObjectKeyTest, RoundTrip) {
  EXPECT_EQ(ObjectKey("demo", "web"), "demo/web");
  EXPECT_EQ(ObjectKey("", "cluster-wide"), "cluster-wide");
  EXPECT_EQ(SplitObjectKey("demo/web"), (std::pair<std::string, std::string>{"demo", "web"}));
  EXPECT_EQ(SplitObjectKey("cluster-wide"),
            (std::pair<std::string, std::string>{"", "cluster-wide"}));
}

}  // namespace
}  // namespace kfed::controller
