#include "base/json.h"

#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace kfed::json {
namespace {

// Found by the fuzzers (UBSan in RapidJSON 1.1.0's full-precision strtod: __builtin_clzll(0)
// for a zero significand, and GetCachedPower reading past its table for 999...9e308): a zero
// with a large exponent parsed as garbage ("0e80" gave 2.57e+61). Numbers are now converted
// by kfed (glibc's correctly rounded strtod).
TEST(JsonTest, ZeroWithLargeExponentIsZero) {
  auto doc = Parse(R"([0e80, -0e99, 0.000E-40, 0e+23, 0e5, 1e80, 0.5e-30, "0e80", {"0e80": 0E300}])");
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
  EXPECT_FALSE(Parse("[0e80-e80]").ok());
  EXPECT_FALSE(Parse("0e8e80").ok());
}

TEST(JsonTest, NumbersAreExact) {
  auto doc = Parse(R"([0.1, 1.7976931348623157e308, 4.9e-324, 1e-400, -1e-400, 2.5e-324,
      123456789012345678901234567890, 9007199254740993, 0.30000000000000004,
      1, -1, 0, -0, 2147483648, -2147483649, 9223372036854775807, -9223372036854775808,
      18446744073709551615, 18446744073709551616])");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const rapidjson::Value& a = *doc;
  EXPECT_EQ(a[0].GetDouble(), 0.1);
  EXPECT_EQ(a[1].GetDouble(), 1.7976931348623157e308);
  EXPECT_EQ(a[2].GetDouble(), 4.9e-324);
  EXPECT_EQ(a[3].GetDouble(), 0.0);
  EXPECT_TRUE(std::signbit(a[4].GetDouble()));
  EXPECT_EQ(a[5].GetDouble(), 4.9e-324);
  EXPECT_EQ(a[6].GetDouble(), 1.2345678901234568e29);
  EXPECT_EQ(a[7].GetUint64(), 9007199254740993u);
  EXPECT_EQ(a[8].GetDouble(), 0.30000000000000004);
  EXPECT_TRUE(a[9].IsInt() && a[9].IsUint() && a[9].GetInt() == 1);
  EXPECT_TRUE(a[10].IsInt() && !a[10].IsUint() && a[10].GetInt() == -1);
  EXPECT_TRUE(a[11].IsInt() && a[11].GetInt() == 0);
  EXPECT_TRUE(a[12].IsInt() && a[12].GetInt() == 0);
  EXPECT_TRUE(!a[13].IsInt() && a[13].IsUint() && a[13].GetUint() == 2147483648u);
  EXPECT_TRUE(!a[14].IsInt() && a[14].IsInt64() && a[14].GetInt64() == -2147483649);
  EXPECT_EQ(a[15].GetInt64(), INT64_MAX);
  EXPECT_EQ(a[16].GetInt64(), INT64_MIN);
  EXPECT_TRUE(!a[17].IsInt64() && a[17].GetUint64() == UINT64_MAX);
  EXPECT_TRUE(a[18].IsDouble() && a[18].GetDouble() == 18446744073709551616.0);
  EXPECT_EQ(Serialize(a[0]), "0.1");
}

TEST(JsonTest, NumberTooBigNamesOffset) {
  auto big = Parse(absl::StrCat("[1, ", std::string(300, '9'), "e308]"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "invalid JSON at offset 4: Number too big to be stored in double.");
  EXPECT_FALSE(Parse("1e400").ok());
  auto bad = Parse("[1, 2 x]");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("offset 6"), std::string::npos) << bad.status();
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
