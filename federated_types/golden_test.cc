// Golden tests: each of the ten default types rendered from checked-in federated objects,
// live member objects and overrides (federated_types/testdata/golden/).
//
//   <type>.federated.json        the Federated<Kind> object (with overrides for member1/member2)
//   <type>.live.json             the object as member1 holds it
//   <type>.member1.update.json   expected: rendered for member1, updating the live object
//   <type>.member2.create.json   expected: rendered for member2, creating it
//   <type>.versions.json         expected: templateVersion and overridesVersion (checked
//                                against hashes computed by Go's encoding/json, as KubeFed does)
//
// To regenerate after an intended change, run the test binary with KFED_GOLDEN_UPDATE_DIR set
// to the source directory and review the diff (from the workspace root):
//   bazel build //federated_types:golden_test
//   KFED_GOLDEN_UPDATE_DIR=federated_types/testdata/golden bazel-bin/federated_types/golden_test
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "federated_types/render.h"
#include "federated_types/type_config.h"
#include "federated_types/versions.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;
using ::kfed::testing::ReadTextFileOrFail;

constexpr char kDir[] = "federated_types/testdata/golden/";

rapidjson::Document ReadJson(const std::string& name) {
  SCOPED_TRACE(name);
  return Json(ReadTextFileOrFail(absl::StrCat(kDir, name)));
}

// Compares `got` with the golden file, or rewrites it in update mode.
void CheckGolden(const std::string& name, const rapidjson::Value& got) {
  const std::string text = kfed::json::SerializePretty(got) + "\n";
  if (const char* dir = std::getenv("KFED_GOLDEN_UPDATE_DIR")) {
    std::ofstream out(absl::StrCat(dir, "/", name), std::ios::binary);
    out << text;
    return;
  }
  EXPECT_EQ(text, ReadTextFileOrFail(absl::StrCat(kDir, name))) << "golden file " << name;
}

class GoldenTest : public ::testing::TestWithParam<TypeConfig> {};

TEST_P(GoldenTest, RendersAsRecorded) {
  const TypeConfig& config = GetParam();
  rapidjson::Document fed = ReadJson(config.name + ".federated.json");
  rapidjson::Document live = ReadJson(config.name + ".live.json");

  RenderRequest update;
  update.federated_object = &fed;
  update.type_config = &config;
  update.cluster = "member1";
  update.live = &live;
  auto updated = RenderForCluster(update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  CheckGolden(config.name + ".member1.update.json", updated->object);

  RenderRequest create = update;
  create.cluster = "member2";
  create.live = nullptr;
  auto created = RenderForCluster(create);
  ASSERT_TRUE(created.ok()) << created.status();
  CheckGolden(config.name + ".member2.create.json", created->object);

  rapidjson::Document versions(rapidjson::kObjectType);
  auto template_version = TemplateVersion(fed);
  auto overrides_version = OverridesVersion(fed);
  ASSERT_TRUE(template_version.ok() && overrides_version.ok());
  kfed::json::SetString(versions, "templateVersion", *template_version, versions.GetAllocator());
  kfed::json::SetString(versions, "overridesVersion", *overrides_version, versions.GetAllocator());
  CheckGolden(config.name + ".versions.json", versions);
}

INSTANTIATE_TEST_SUITE_P(DefaultTypes, GoldenTest, ::testing::ValuesIn(DefaultTypeConfigs()),
                         [](const ::testing::TestParamInfo<TypeConfig>& info) {
                           std::string name;
                           for (char c : info.param.name) name.push_back(isalnum(c) ? c : '_');
                           return name;
                         });

}  // namespace
}  // namespace kfed::federated_types
