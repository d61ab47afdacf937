#include "base/json_pointer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/json.h"

namespace kfed::json {
namespace {

struct ParseCase {
  std::string text;
  std::vector<std::string> tokens;  // when ok
  std::string error;                // non-empty: expected error message
};

TEST(JsonPointerTest, Parse) {
  const std::vector<ParseCase> cases = {
      {"", {}, ""},
      {"/", {""}, ""},
      {"//", {"", ""}, ""},
      {"/foo", {"foo"}, ""},
      {"/foo/0", {"foo", "0"}, ""},
      {"/a~1b", {"a/b"}, ""},
      {"/m~0n", {"m~n"}, ""},
      // "~01" is "~" then "1", not "/": ~1 must not be decoded after ~0.
      {"/~01", {"~1"}, ""},
      {"/~10", {"/0"}, ""},
      {"/~0~1~0", {"~/~"}, ""},
      {"/ ", {" "}, ""},
      {"/metadata/labels/kubefed.io~1managed", {"metadata", "labels", "kubefed.io/managed"}, ""},
      {"foo", {}, "invalid JSON pointer \"foo\": must be empty or start with \"/\""},
      {"#/foo", {}, "invalid JSON pointer \"#/foo\": must be empty or start with \"/\""},
      {"/a~", {}, "invalid JSON pointer \"/a~\": \"~\" must be followed by \"0\" or \"1\""},
      {"/a~2", {}, "invalid JSON pointer \"/a~2\": \"~\" must be followed by \"0\" or \"1\""},
      {"/~/x", {}, "invalid JSON pointer \"/~/x\": \"~\" must be followed by \"0\" or \"1\""},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<JsonPointer> pointer = JsonPointer::Parse(c.text);
    if (!c.error.empty()) {
      ASSERT_FALSE(pointer.ok());
      EXPECT_EQ(pointer.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(pointer.status().message(), c.error);
      continue;
    }
    ASSERT_TRUE(pointer.ok()) << pointer.status();
    EXPECT_EQ(pointer->tokens(), c.tokens);
    // The text form is canonical: it round-trips exactly.
    EXPECT_EQ(pointer->ToString(), c.text);
  }
}

TEST(JsonPointerTest, ToStringEscapes) {
  EXPECT_EQ(JsonPointer::FromTokens({"a/b", "m~n", ""}).ToString(), "/a~1b/m~0n/");
  EXPECT_EQ(JsonPointer().ToString(), "");
  EXPECT_EQ(EscapeJsonPointerToken("~/"), "~0~1");
}

TEST(JsonPointerTest, ParentAndPrefix) {
  JsonPointer p = *JsonPointer::Parse("/a/b/c");
  EXPECT_EQ(p.Parent().ToString(), "/a/b");
  EXPECT_EQ(p.LastToken(), "c");
  EXPECT_TRUE(JsonPointer::Parse("/a")->IsProperPrefixOf(p));
  EXPECT_TRUE(JsonPointer().IsProperPrefixOf(p));
  EXPECT_FALSE(p.IsProperPrefixOf(p));
  EXPECT_FALSE(JsonPointer::Parse("/a/bb")->IsProperPrefixOf(*JsonPointer::Parse("/a/b/c")));
  EXPECT_FALSE(JsonPointer::Parse("/a/b")->IsProperPrefixOf(*JsonPointer::Parse("/a/bc")));
}

// RFC 6901 section 5.
TEST(JsonPointerTest, Rfc6901Examples) {
  rapidjson::Document doc = *json::Parse(R"({
      "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4,
      "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8})");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", json::Serialize(doc)},
      {"/foo", R"(["bar","baz"])"},
      {"/foo/0", R"("bar")"},
      {"/", "0"},
      {"/a~1b", "1"},
      {"/c%d", "2"},
      {"/e^f", "3"},
      {"/g|h", "4"},
      {"/i\\j", "5"},
      {"/k\"l", "6"},
      {"/ ", "7"},
      {"/m~0n", "8"},
  };
  for (const auto& [text, want] : cases) {
    SCOPED_TRACE(text);
    absl::StatusOr<JsonPointer> pointer = JsonPointer::Parse(text);
    ASSERT_TRUE(pointer.ok()) << pointer.status();
    absl::StatusOr<const rapidjson::Value*> value = pointer->Resolve(doc);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(json::Serialize(**value), want);
  }
}

TEST(JsonPointerTest, ResolveErrors) {
  rapidjson::Document doc =
      *json::Parse(R"({"spec": {"replicas": 3, "containers": [{"name": "a"}, {"name": "b"}]}})");
  struct Case {
    std::string path;
    absl::StatusCode code;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"/spec/paused", absl::StatusCode::kNotFound, "path not found"},
      {"/spec/template/spec", absl::StatusCode::kNotFound,
       "path not found: /spec/template does not exist"},
      {"/spec/containers/2", absl::StatusCode::kNotFound,
       "array index 2 out of range at /spec/containers (size 2)"},
      {"/spec/containers/01", absl::StatusCode::kInvalidArgument,
       "invalid array index \"01\": leading zeros are not allowed"},
      {"/spec/containers/-", absl::StatusCode::kInvalidArgument,
       "\"-\" refers to the (nonexistent) element after the last in /spec/containers"},
      {"/spec/containers/-1", absl::StatusCode::kInvalidArgument,
       "invalid array index \"-1\": must be a non-negative integer"},
      {"/spec/containers/name", absl::StatusCode::kInvalidArgument,
       "invalid array index \"name\": must be a non-negative integer"},
      {"/spec/containers/", absl::StatusCode::kInvalidArgument,
       "invalid array index \"\": must be a non-negative integer"},
      {"/spec/replicas/x", absl::StatusCode::kInvalidArgument,
       "cannot traverse /spec/replicas: it is a number, not an object or array"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    absl::StatusOr<const rapidjson::Value*> value = JsonPointer::Parse(c.path)->Resolve(doc);
    ASSERT_FALSE(value.ok());
    EXPECT_EQ(value.status().code(), c.code);
    EXPECT_EQ(value.status().message(), c.error);
    EXPECT_EQ(JsonPointer::Parse(c.path)->Find(doc), nullptr);
  }
  EXPECT_EQ(json::Serialize(*JsonPointer::Parse("/spec/containers/1/name")->Find(doc)), "\"b\"");
  absl::StatusOr<rapidjson::Value*> parent =
      JsonPointer::Parse("/spec/containers/1/name")->ResolveParentMutable(doc);
  ASSERT_TRUE(parent.ok());
  EXPECT_EQ(json::Serialize(**parent), R"({"name":"b"})");
  EXPECT_FALSE(JsonPointer().ResolveParentMutable(doc).ok());
}

TEST(JsonPointerTest, ParseArrayIndex) {
  EXPECT_EQ(*ParseArrayIndex("0"), 0u);
  EXPECT_EQ(*ParseArrayIndex("10"), 10u);
  EXPECT_EQ(*ParseArrayIndex("18446744073709551615"), 18446744073709551615u);
  EXPECT_EQ(ParseArrayIndex("18446744073709551616").status().message(),
            "invalid array index \"18446744073709551616\": too large");
  EXPECT_EQ(ParseArrayIndex("00").status().message(),
            "invalid array index \"00\": leading zeros are not allowed");
  EXPECT_FALSE(ParseArrayIndex("-").ok());
  EXPECT_FALSE(ParseArrayIndex("+1").ok());
  EXPECT_FALSE(ParseArrayIndex("1e3").ok());
  EXPECT_FALSE(ParseArrayIndex(" 1").ok());
}

}  // namespace
}  // namespace kfed::json
