#include "base/yaml_json.h"

#include <gtest/gtest.h>

#include <string>

#include "base/json.h"

namespace kfed::yaml {
namespace {

std::string AsJson(absl::string_view yaml) {
  auto doc = ParseYaml(yaml);
  if (!doc.ok()) return "ERROR " + std::string(doc.status().message());
  return json::Serialize(*doc);
}

TEST(ParseYamlTest, ScalarsFollowTheCoreSchema) {
  struct Case {
    const char* yaml;
    const char* json;
  } cases[] = {
      {"a: true", R"({"a":true})"},
      {"a: False", R"({"a":false})"},
      {"a: 'true'", R"({"a":"true"})"},
      {"a: \"123\"", R"({"a":"123"})"},
      {"a: 123", R"({"a":123})"},
      {"a: -7", R"({"a":-7})"},
      {"a: 0x1F", R"({"a":31})"},
      {"a: 0o17", R"({"a":15})"},
      {"a: 1.5", R"({"a":1.5})"},
      {"a: 1e3", R"({"a":1000.0})"},
      {"a: 18446744073709551615", R"({"a":18446744073709551615})"},
      {"a: null", R"({"a":null})"},
      {"a: ~", R"({"a":null})"},
      {"a:", R"({"a":null})"},
      {"a: 'null'", R"({"a":"null"})"},
      {"a: yes", R"({"a":true})"},
      {"a: on", R"({"a":true})"},
      {"a: N", R"({"a":false})"},
      {"a: 'no'", R"({"a":"no"})"},
      {"a: 0644", R"({"a":420})"},
      {"a: 08", R"({"a":8.0})"},
      {"a: 0b101", R"({"a":5})"},
      {"a: -0x10", R"({"a":-16})"},
      {"a: 1_000", R"({"a":1000})"},
      {"a: .5", R"({"a":0.5})"},
      {"a: -9223372036854775808", R"({"a":-9223372036854775808})"},
      {"a: 99999999999999999999", R"({"a":100000000000000000000.0})"},
      {"a: 0xFFFFFFFFFFFFFFFFFF", R"({"a":"0xFFFFFFFFFFFFFFFFFF"})"},
      {"a: 2024-01-02", R"({"a":"2024-01-02"})"},
      {"a: +", R"({"a":"+"})"},
      {"a: 1.2.3", R"({"a":"1.2.3"})"},
      {"a: !!str 42", R"({"a":"42"})"},
      {"a: !!float 1", R"({"a":1.0})"},
      {"a: |\n  x\n  y\n", R"({"a":"x\ny\n"})"},
      {"a: >-\n  x\n  y\n", R"({"a":"x y"})"},
      {"1: x\ny: 1\n0x10: 2", R"({"1":"x","true":1,"16":2})"},
      {"a: [1, 'b', {c: d}]", R"({"a":[1,"b",{"c":"d"}]})"},
      {"a: {}\nb: []", R"({"a":{},"b":[]})"},
      {"", "null"},
      {"# only a comment\n", "null"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AsJson(c.yaml), c.json) << c.yaml;
  }
}

TEST(ParseYamlTest, KeepsDocumentOrder) {
  EXPECT_EQ(AsJson("z: 1\na: 2\nm: 3\n"), R"({"z":1,"a":2,"m":3})");
}

TEST(ParseYamlTest, AnchorsAliasesAndMergeKeys) {
  EXPECT_EQ(AsJson("base: &b {x: 1, w: 2}\nd:\n  <<: *b\n  w: 3\n"),
            R"({"base":{"x":1,"w":2},"d":{"x":1,"w":3}})");
}

TEST(ParseYamlTest, ErrorsNameLineAndColumn) {
  auto dup = ParseYaml("a: 1\nb: 2\na: 3\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("line 3, column 1"), std::string::npos) << dup.status();
  EXPECT_NE(dup.status().message().find("\"a\" already defined"), std::string::npos)
      << dup.status();

  auto syntax = ParseYaml("a:\n  b: [1, 2\nc: d\n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("line "), std::string::npos) << syntax.status();

  auto inf = ParseYaml("x: .inf");
  ASSERT_FALSE(inf.ok());
  EXPECT_NE(inf.status().message().find("line 1, column 4"), std::string::npos) << inf.status();

  auto bad_int = ParseYaml("x: !!int abc");
  EXPECT_FALSE(bad_int.ok());
}

TEST(ParseYamlTest, BillionLaughsIsBounded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 0; j < 9; ++j) text += ", " + prev;
    text += "]\n";
  }
  auto doc = ParseYaml(text);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("alias expansion"), std::string::npos) << doc.status();
}

TEST(ParseYamlTest, DeepNestingIsAnErrorNotACrash) {
  auto doc = ParseYaml(std::string(100000, '[') + std::string(100000, ']'));
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseYamlStreamTest, SplitsDocumentsAndSkipsEmptyOnes) {
  auto docs = ParseYamlStream("---\na: 1\n---\n# nothing\n---\nb: 2\n...\n---\n- 3\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ(json::Serialize((*docs)[0]), R"({"a":1})");
  EXPECT_EQ(json::Serialize((*docs)[1]), R"({"b":2})");
  EXPECT_EQ(json::Serialize((*docs)[2]), R"([3])");
  EXPECT_FALSE(ParseYaml("a: 1\n---\nb: 2\n").ok());
}

TEST(ToYamlTest, BlockStyleInDocumentOrderWithAmbiguousStringsQuoted) {
  auto doc = json::Parse(
      R"({"kind":"ConfigMap","data":{"b":"true","a":"123","c":"yes","d":"plain","e":"",)"
      R"("f":"null","g":"1.5","h":"multi\nline"},"n":[1,-2,1.5,true,null],"o":{},"p":[]})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(ToYaml(*doc),
            "kind: ConfigMap\n"
            "data:\n"
            "  b: \"true\"\n"
            "  a: \"123\"\n"
            "  c: \"yes\"\n"
            "  d: plain\n"
            "  e: \"\"\n"
            "  f: \"null\"\n"
            "  g: \"1.5\"\n"
            "  h: \"multi\\nline\"\n"
            "\"n\":\n"  // "n" is false in YAML 1.1
            "  - 1\n"
            "  - -2\n"
            "  - 1.5\n"
            "  - true\n"
            "  - null\n"
            "o: {}\n"
            "p: []\n");
}

TEST(ToYamlTest, RoundTripsThroughParse) {
  const char* json_text =
      R"({"s":["true","0x10","~","-","- x","a: b","#c","'q'","\"dq\"","tab\there",)"
      R"("trailing ","  lead","ü","@x","*x","&x","!x","%x","|","> x","{a}","[b]","2024-01-01"],)"
      R"("n":[0,9007199254740993,-9223372036854775808,0.1,1e-7,1e300],"k":{"":1,"a b":2,"1":3}})";
  auto doc = json::Parse(json_text);
  ASSERT_TRUE(doc.ok());
  std::string yaml = ToYaml(*doc);
  auto back = ParseYaml(yaml);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_EQ(json::Serialize(*back), json::Serialize(*doc)) << yaml;
}

TEST(ToYamlStreamTest, JoinsDocuments) {
  auto a = *json::Parse(R"({"a":1})");
  auto b = *json::Parse(R"({"b":2})");
  std::string stream = ToYamlStream({&a, &b});
  EXPECT_EQ(stream, "---\na: 1\n---\nb: 2\n");
  auto docs = ParseYamlStream(stream);
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ(docs->size(), 2u);
}

}  // namespace
}  // namespace kfed::yaml
