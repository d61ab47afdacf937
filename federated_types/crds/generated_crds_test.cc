// The committed CRDs: generated/ is exactly what kfed-crdgen makes of testdata/openapi (so
// the two never drift), and the static CRDs carry the names kubectl users rely on.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/testing.h"
#include "base/yaml_json.h"
#include "federated_types/crds/crdgen.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::ReadTextFileOrFail;

constexpr char kDir[] = "federated_types/crds/";

TEST(GeneratedCrdsTest, CommittedFilesEqualGeneratorOutput) {
  for (const DefaultType& d : DefaultTypes()) {
    SCOPED_TRACE(d.target.QualifiedName());
    auto openapi = json::Parse(ReadTextFileOrFail(
        absl::StrCat(kDir, "testdata/openapi/", OpenApiFileName(d.openapi_path))));
    ASSERT_TRUE(openapi.ok()) << openapi.status();
    auto generated = GenerateYaml(*openapi, d.target);
    ASSERT_TRUE(generated.ok()) << generated.status();
    std::string path = absl::StrCat(kDir, "generated/", d.target.QualifiedName(), ".yaml");
    std::string committed = ReadTextFileOrFail(path);
    // Not EXPECT_EQ on the texts: they are half a megabyte each.
    EXPECT_TRUE(committed == *generated)
        << path << " differs from the generator's output (" << committed.size() << " vs "
        << generated->size() << " bytes): run hack/update-crds.sh and commit the result";

    auto docs = yaml::ParseYamlStream(committed);
    ASSERT_TRUE(docs.ok()) << docs.status();
    ASSERT_EQ(docs->size(), 2u);
    EXPECT_EQ(json::GetString((*docs)[0], "kind"), "CustomResourceDefinition");
    EXPECT_EQ(json::GetString((*docs)[1], "kind"), "FederatedTypeConfig");
    EXPECT_EQ(json::GetString((*docs)[1]["metadata"], "name"), d.target.QualifiedName());
  }
}

TEST(GeneratedCrdsTest, StaticCrds) {
  struct Case {
    const char* file;
    const char* name;
    const char* scope;
    const char* short_name;  // "" when none
    bool status_subresource;
  } cases[] = {
      {"kubefedclusters.yaml", "kubefedclusters.core.kubefed.io", "Namespaced", "kfc", true},
      {"federatedtypeconfigs.yaml", "federatedtypeconfigs.core.kubefed.io", "Namespaced", "ftc",
       true},
      {"kubefedconfigs.yaml", "kubefedconfigs.core.kubefed.io", "Namespaced", "", true},
      {"propagatedversions.yaml", "propagatedversions.core.kubefed.io", "Namespaced", "", true},
      {"clusterpropagatedversions.yaml", "clusterpropagatedversions.core.kubefed.io", "Cluster", "",
       true},
      {"replicaschedulingpreferences.yaml", "replicaschedulingpreferences.scheduling.kubefed.io",
       "Namespaced", "rsp", true},
      {"federatedservicestatuses.yaml", "federatedservicestatuses.core.kubefed.io", "Namespaced",
       "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    auto crd = yaml::ParseYaml(ReadTextFileOrFail(absl::StrCat(kDir, c.file)));
    ASSERT_TRUE(crd.ok()) << crd.status();
    EXPECT_EQ(json::GetString((*crd)["metadata"], "name"), c.name);
    const rapidjson::Value& spec = (*crd)["spec"];
    EXPECT_EQ(json::GetString(spec, "scope"), c.scope);
    EXPECT_EQ(json::Serialize(spec["names"]["categories"]), R"(["kubefed"])");
    const rapidjson::Value* short_names = json::FindPath(spec, {"names", "shortNames"});
    EXPECT_EQ(short_names == nullptr ? "" : json::Serialize(*short_names),
              *c.short_name ? absl::StrCat("[\"", c.short_name, "\"]") : "");
    ASSERT_EQ(spec["versions"].Size(), 1u);
    const rapidjson::Value& version = spec["versions"][0];
    EXPECT_EQ(json::FindPath(version, {"subresources", "status"}) != nullptr, c.status_subresource);
    bool has_age = false;
    for (const auto& column : version["additionalPrinterColumns"].GetArray()) {
      has_age |= json::GetString(column, "jsonPath") == ".metadata.creationTimestamp";
    }
    EXPECT_TRUE(has_age);
  }
}

}  // namespace
}  // namespace kfed::federated_types
