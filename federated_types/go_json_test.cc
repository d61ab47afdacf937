#include "federated_types/go_json.h"

#include <limits>
#include <string>

#include "base/json.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

std::string Encode(absl::string_view json, GoNumbers numbers = GoNumbers::kUnstructured) {
  auto doc = kfed::json::Parse(json);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return GoJsonEncode(*doc, numbers);
}

TEST(GoFormatFloatTest, MatchesStrconvAsJsonUsesIt) {
  struct Case {
    double value;
    const char* want;
  };
  const Case cases[] = {
      {0.0, "0"},
      {-0.0, "-0"},
      {1.0, "1"},
      {-2.5, "-2.5"},
      {0.1, "0.1"},
      {0.000001, "0.000001"},
      {0.0000001, "1e-7"},
      {0.00000012345, "1.2345e-7"},
      {1.5e-10, "1.5e-10"},
      {123456789.123, "123456789.123"},
      {1e20, "100000000000000000000"},
      {1e21, "1e+21"},
      {1.5e21, "1.5e+21"},
      {1e100, "1e+100"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {9007199254740993.0, "9007199254740992"},
      {0.3, "0.3"},
      {1.0 / 3.0, "0.3333333333333333"},
      {100.0, "100"},
      {12345678.0, "12345678"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GoFormatFloat(c.value), c.want) << c.want;
  }
}

TEST(GoJsonEncodeTest, SortsKeysAndAppendsNewline) {
  EXPECT_EQ(Encode(R"({"b":1,"a":{"d":true,"c":null},"A":[]})"),
            "{\"A\":[],\"a\":{\"c\":null,\"d\":true},\"b\":1}\n");
}

TEST(GoJsonEncodeTest, KeysSortBytewise) {
  // Uppercase before lowercase, multi-byte UTF-8 after ASCII, "a" before "a0".
  EXPECT_EQ(Encode(R"({"é":1,"a0":2,"a":3,"Z":4})"), "{\"Z\":4,\"a\":3,\"a0\":2,\"é\":1}\n");
}

TEST(GoJsonEncodeTest, LastDuplicateKeyWins) {
  EXPECT_EQ(Encode(R"({"a":1,"b":2,"a":3})"), "{\"a\":3,\"b\":2}\n");
}

TEST(GoJsonEncodeTest, EscapesLikeGo) {
  EXPECT_EQ(Encode(R"({"k":"<a href=\"x\">&amp;</a>"})"),
            "{\"k\":\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\"}\n");
  EXPECT_EQ(Encode(R"(["tab\there","nl\n","cr\r","bs\\","\u0001","\b\f","\u007f"])"),
            "[\"tab\\there\",\"nl\\n\",\"cr\\r\",\"bs\\\\\",\"\\u0001\",\"\\u0008\\u000c\","
            "\"\x7f\"]\n");
  EXPECT_EQ(Encode(R"(["\u2028\u2029", "\u00e9\u4e2d\ud83d\ude00", "/"])"),
            "[\"\\u2028\\u2029\",\"é中😀\",\"/\"]\n");
}

TEST(GoJsonEncodeTest, InvalidUtf8BecomesReplacementCharacter) {
  rapidjson::Document doc;
  doc.SetArray();
  const std::string bad = std::string("a\xff") + "b\xc3" + "\xed\xa0\x80" + "\xc0\xaf";
  doc.PushBack(rapidjson::Value(bad.data(), static_cast<rapidjson::SizeType>(bad.size()),
                                doc.GetAllocator()),
               doc.GetAllocator());
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(GoJsonEncode(doc), "[\"a" + r + "b" + r + r + r + r + r + r + "\"]\n");
}

TEST(GoJsonEncodeTest, NumbersAsUnstructuredHoldsThem) {
  EXPECT_EQ(Encode("[1,-7,1.0,1e2,2.5,9007199254740993,18446744073709551615,-0,-0.0]"),
            "[1,-7,1,100,2.5,9007199254740993,18446744073709552000,0,-0]\n");
}

TEST(GoJsonEncodeTest, NumbersAsFloat64) {
  EXPECT_EQ(Encode("[1,9007199254740993,1e21,0.5]", GoNumbers::kFloat64),
            "[1,9007199254740992,1e+21,0.5]\n");
}

TEST(Md5HexTest, KnownDigests) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

}  // namespace
}  // namespace kfed::federated_types
