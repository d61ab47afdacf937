#include "base/json.h"

#include <gtest/gtest.h>

namespace kfed::json {
namespace {

TEST(JsonTest, ParseErrorNamesOffset) {
  auto doc = Parse(R"({"a": 1,})");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("offset 8"), std::string::npos) << doc.status();
}

TEST(JsonTest, FindSetRemove) {
  auto doc = *Parse(R"({"metadata":{"name":"a","labels":{"x":"1"}}})");
  EXPECT_EQ(GetString(*FindPath(doc, {"metadata"}), "name"), "a");
  EXPECT_EQ(FindPath(doc, {"metadata", "missing", "deeper"}), nullptr);
  rapidjson::Value& labels = EnsureObject(doc["metadata"], "labels", doc.GetAllocator());
  SetString(labels, "kubefed.io/managed", "true", doc.GetAllocator());
  SetString(labels, "x", "2", doc.GetAllocator());
  EXPECT_EQ(Serialize(doc), R"({"metadata":{"name":"a","labels":{"x":"2","kubefed.io/managed":"true"}}})");
  EXPECT_TRUE(Remove(doc["metadata"], "labels"));
  EXPECT_FALSE(Remove(doc["metadata"], "labels"));
  EXPECT_EQ(Serialize(doc), R"({"metadata":{"name":"a"}})");
}

TEST(JsonTest, CloneIsDeepAndEqualIgnoresMemberOrder) {
  auto a = *Parse(R"({"x":1,"y":[1,2]})");
  rapidjson::Document b = Clone(a);
  b["y"][0] = 5;
  EXPECT_FALSE(Equal(a, b));
  EXPECT_TRUE(Equal(*Parse(R"({"x":1,"y":2})"), *Parse(R"({"y":2,"x":1})")));
}

}  // namespace
}  // namespace kfed::json
