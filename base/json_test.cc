#include "base/json.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace kfed::json {
namespace {

// Found by the fuzzers (UBSan: __builtin_clzll(0) in RapidJSON 1.1.0's StrtodDiyFp): a zero
// with an exponent beyond the fast path parsed as garbage ("0e80" gave 2.57e+61).
TEST(JsonTest, ZeroWithLargeExponentIsZero) {
  auto doc = Parse(R"([0e80, -0e99, 0.000E-40, 0e+23, 0e5, 1e80, 0.5e-30, "0e80", {"0e80": 0E400}])");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const rapidjson::Value& a = *doc;
  for (int i : {0, 1, 2, 3, 4}) {
    ASSERT_TRUE(a[i].IsDouble()) << i;
    EXPECT_EQ(a[i].GetDouble(), 0.0) << i;
  }
  EXPECT_TRUE(std::signbit(a[1].GetDouble()));
  EXPECT_EQ(a[5].GetDouble(), 1e80);
  EXPECT_EQ(a[6].GetDouble(), 0.5e-30);
  EXPECT_EQ(std::string(a[7].GetString()), "0e80");
  EXPECT_EQ(a[8]["0e80"].GetDouble(), 0.0);
  EXPECT_EQ(Serialize(*Parse("0e80")), "0.0");
  // Errors after a rewritten zero keep their offsets.
  auto bad = Parse("[0e80 x]");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("offset 6"), std::string::npos) << bad.status();
  // A zero that RapidJSON reads before an error (the fuzzer's "0e80-e80").
  EXPECT_FALSE(Parse("[0e80-e80]").ok());
  EXPECT_FALSE(Parse("00e80").ok());
  EXPECT_FALSE(Parse("0e8e80").ok());
  EXPECT_FALSE(Parse("-0e8e80").ok());
  EXPECT_EQ(Parse("-0e8")->GetDouble(), 0.0);
}

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
