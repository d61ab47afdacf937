#include "status/redact.h"

#include <gtest/gtest.h>

#include "base/json.h"

namespace kfed::status {
namespace {

std::string Compact(const std::string& json_text) {
  absl::StatusOr<rapidjson::Document> doc = json::Parse(json_text);
  if (!doc.ok()) return "unparseable: " + json_text;
  return json::Serialize(*doc);
}

struct ObjectCase {
  const char* name;
  Sensitivity sensitivity;
  const char* in;
  const char* want;
};

TEST(RedactObjectJson, Table) {
  const ObjectCase cases[] = {
      {"a ConfigMap is shown as it is", Sensitivity::kNone,
       R"({"kind":"ConfigMap","data":{"a":"visible"}})",
       R"({"kind":"ConfigMap","data":{"a":"visible"}})"},
      {"Secret data: keys and decoded sizes stay", Sensitivity::kSecretData,
       R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"type":"Opaque",)"
       R"("data":{"password":"aHVudGVyMg==","token":"YWJj","empty":""}})",
       R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"type":"Opaque",)"
       R"("data":{"password":"[redacted: 7 bytes]","token":"[redacted: 3 bytes]",)"
       R"("empty":"[redacted: 0 bytes]"}})"},
      {"Secret stringData: sizes of the text", Sensitivity::kSecretData,
       R"({"kind":"Secret","stringData":{"password":"hunter2-TOPSECRET"}})",
       R"({"kind":"Secret","stringData":{"password":"[redacted: 17 bytes]"}})"},
      {"data that is not an object is replaced whole", Sensitivity::kSecretData,
       R"({"kind":"Secret","data":"c2VjcmV0"})", R"({"kind":"Secret","data":"[redacted: 6 bytes]"})"},
      {"the last-applied annotation holds a copy of the object", Sensitivity::kSecretData,
       R"({"kind":"Secret","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-)"
       R"(configuration":"{\"data\":{\"p\":\"eA==\"}}","team":"a"}}})",
       R"({"kind":"Secret","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-)"
       R"(configuration":"[redacted: 21 bytes]","team":"a"}}})"},
      {"kAll: every leaf outside apiVersion, kind and metadata", Sensitivity::kAll,
       R"({"apiVersion":"x.io/v1","kind":"Vault","metadata":{"name":"v","labels":{"a":"b"}},)"
       R"("spec":{"key":"k1","replicas":3,"list":["p",{"q":true}]}})",
       R"({"apiVersion":"x.io/v1","kind":"Vault","metadata":{"name":"v","labels":{"a":"b"}},)"
       R"("spec":{"key":"[redacted]","replicas":"[redacted]","list":["[redacted]",)"
       R"({"q":"[redacted]"}]}})"},
      {"text that is not an object is replaced whole", Sensitivity::kSecretData, R"(["x"])",
       R"("[redacted]")"},
  };
  for (const ObjectCase& c : cases) {
    EXPECT_EQ(Compact(RedactObjectJson(c.sensitivity, c.in)), Compact(c.want)) << c.name;
  }
  EXPECT_EQ(RedactObjectJson(Sensitivity::kSecretData, ""), "");
  EXPECT_EQ(RedactObjectJson(Sensitivity::kSecretData, "{not json"), "\"[redacted]\"");
}

TEST(RedactOverridesJson, Table) {
  const ObjectCase cases[] = {
      {"a value below /data", Sensitivity::kSecretData,
       R"([{"op":"replace","path":"/data/password","value":"c2VjcmV0"},)"
       R"({"op":"add","path":"/metadata/labels/env","value":"prod"}])",
       R"([{"op":"replace","path":"/data/password","value":"[redacted: 6 bytes]"},)"
       R"({"op":"add","path":"/metadata/labels/env","value":"prod"}])"},
      {"/stringData as an object", Sensitivity::kSecretData,
       R"([{"op":"add","path":"/stringData","value":{"token":"hunter2"}}])",
       R"([{"op":"add","path":"/stringData","value":{"token":"[redacted: 7 bytes]"}}])"},
      {"the whole object at the root", Sensitivity::kSecretData,
       R"([{"path":"","value":{"kind":"Secret","data":{"k":"eA=="}}}])",
       R"([{"path":"","value":{"kind":"Secret","data":{"k":"[redacted: 1 bytes]"}}}])"},
      {"escaped tokens are decoded before judging", Sensitivity::kSecretData,
       R"([{"path":"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",)"
       R"("value":"{}"}])",
       R"([{"path":"/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",)"
       R"("value":"[redacted: 2 bytes]"}])"},
      {"a path that does not parse is redacted whole", Sensitivity::kSecretData,
       R"([{"path":"data/x","value":{"a":"b"}},{"op":"remove","path":"/data/x"}])",
       R"([{"path":"data/x","value":"[redacted]"},{"op":"remove","path":"/data/x"}])"},
      {"kAll: spec values", Sensitivity::kAll,
       R"([{"path":"/spec/key","value":"k2"},{"path":"/metadata/labels/a","value":"b"}])",
       R"([{"path":"/spec/key","value":"[redacted]"},{"path":"/metadata/labels/a","value":"b"}])"},
      {"kNone: unchanged", Sensitivity::kNone, R"([{"path":"/data/x","value":"y"}])",
       R"([{"path":"/data/x","value":"y"}])"},
  };
  for (const ObjectCase& c : cases) {
    EXPECT_EQ(Compact(RedactOverridesJson(c.sensitivity, c.in)), Compact(c.want)) << c.name;
  }
}

}  // namespace
}  // namespace kfed::status
