#include "federated_types/type_config.h"

#include "absl/strings/match.h"
#include "base/json.h"
#include "base/testing.h"
#include "gtest/gtest.h"

namespace kfed::federated_types {
namespace {

using ::kfed::testing::Json;

TEST(PluralNameTest, KubeFedRules) {
  struct Case {
    const char* kind;
    const char* plural;
  };
  const Case cases[] = {
      {"FederatedDeployment", "federateddeployments"},
      {"FederatedIngress", "federatedingresses"},
      {"Box", "boxes"},
      {"Match", "matches"},
      {"Wish", "wishes"},
      {"Quiz", "quizes"},
      {"Potato", "potatoes"},
      {"FederatedNetworkPolicy", "federatednetworkpolicies"},
      {"Key", "keies"},
      {"FederatedClusterRole", "federatedclusterroles"},
  };
  for (const Case& c : cases) EXPECT_EQ(PluralName(c.kind), c.plural) << c.kind;
}

TEST(TypeConfigNameTest, PluralDotGroup) {
  EXPECT_EQ(TypeConfigName("deployments", "apps"), "deployments.apps");
  EXPECT_EQ(TypeConfigName("configmaps", ""), "configmaps");
}

TEST(ParseTypeConfigTest, DefaultsFromName) {
  auto ftc = Json(R"({"metadata":{"name":"deployments.apps"},"spec":{
      "targetType":{"version":"v1","kind":"Deployment","scope":"Namespaced"},
      "propagation":"Enabled",
      "federatedType":{"group":"types.kubefed.io","version":"v1beta1",
                       "kind":"FederatedDeployment","scope":"Namespaced"},
      "statusType":{"kind":"FederatedDeploymentStatus","scope":"Namespaced"},
      "statusCollection":"Disabled"}})");
  auto config = ParseTypeConfig(ftc);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->target_type.group, "apps");
  EXPECT_EQ(config->target_type.plural_name, "deployments");
  EXPECT_EQ(config->target_type.ApiVersion(), "apps/v1");
  EXPECT_EQ(config->federated_type.plural_name, "federateddeployments");
  ASSERT_TRUE(config->status_type.has_value());
  EXPECT_EQ(config->status_type->plural_name, "federateddeploymentstatuses");
  EXPECT_EQ(config->status_type->group, "types.kubefed.io");
  EXPECT_EQ(config->status_type->version, "v1beta1");
  EXPECT_TRUE(config->propagation_enabled);
  EXPECT_EQ(config->status_collection_enabled, false);
  EXPECT_TRUE(config->TargetNamespaced());
  EXPECT_TRUE(config->FederatedNamespaced());
  EXPECT_FALSE(config->IsNamespace());
  EXPECT_FALSE(config->StatusEnabled());
  EXPECT_FALSE(config->ServiceStatusCollectionEnabled());
}

TEST(ParseTypeConfigTest, CoreGroupHasNoDot) {
  auto ftc = Json(R"({"metadata":{"name":"configmaps"},"spec":{
      "targetType":{"version":"v1","kind":"ConfigMap","scope":"Namespaced"},
      "propagation":"Disabled",
      "federatedType":{"group":"types.kubefed.io","version":"v1beta1",
                       "kind":"FederatedConfigMap","pluralName":"federatedconfigmaps",
                       "scope":"Namespaced"}}})");
  auto config = ParseTypeConfig(ftc);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->target_type.group, "");
  EXPECT_EQ(config->target_type.ApiVersion(), "v1");
  EXPECT_FALSE(config->propagation_enabled);
  EXPECT_FALSE(config->status_collection_enabled.has_value());
}

TEST(ParseTypeConfigTest, NamespacesIsSpecial) {
  auto ftc = Json(R"({"metadata":{"name":"namespaces"},"spec":{
      "targetType":{"version":"v1","kind":"Namespace","scope":"Cluster"},
      "propagation":"Enabled",
      "federatedType":{"group":"types.kubefed.io","version":"v1beta1",
                       "kind":"FederatedNamespace","scope":"Namespaced"}}})");
  auto config = ParseTypeConfig(ftc);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->IsNamespace());
  EXPECT_FALSE(config->TargetNamespaced());
  EXPECT_TRUE(config->FederatedNamespaced());
  EXPECT_EQ(FederatedNameForTarget(*config, "", "team-a"), (QualifiedName{"team-a", "team-a"}));
}

TEST(ParseTypeConfigTest, ServiceStatusCollectionOnlyForServicesWithStatusType) {
  const std::string services = R"({"metadata":{"name":"services"},"spec":{
      "targetType":{"version":"v1","kind":"Service","scope":"Namespaced"},
      "propagation":"Enabled","statusCollection":"Enabled",
      "federatedType":{"group":"types.kubefed.io","version":"v1beta1",
                       "kind":"FederatedService","scope":"Namespaced"})";
  auto without = ParseTypeConfig(Json(services + "}}"));
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_TRUE(without->StatusEnabled());
  EXPECT_FALSE(without->ServiceStatusCollectionEnabled());  // no statusType
  auto with = ParseTypeConfig(Json(services + R"(,"statusType":{"group":"core.kubefed.io",
      "version":"v1alpha1","kind":"FederatedServiceStatus","scope":"Namespaced"}}})"));
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_TRUE(with->ServiceStatusCollectionEnabled());
  EXPECT_EQ(with->status_type->plural_name, "federatedservicestatuses");
  // Any other type: raw status collection only (remoteStatus), no status controller.
  auto deployments = ParseTypeConfig(Json(R"({"metadata":{"name":"deployments.apps"},"spec":{
      "targetType":{"version":"v1","kind":"Deployment","scope":"Namespaced"},
      "propagation":"Enabled","statusCollection":"Enabled",
      "statusType":{"kind":"FederatedDeploymentStatus","scope":"Namespaced"},
      "federatedType":{"group":"types.kubefed.io","version":"v1beta1",
                       "kind":"FederatedDeployment","scope":"Namespaced"}}})"));
  ASSERT_TRUE(deployments.ok()) << deployments.status();
  EXPECT_TRUE(deployments->StatusEnabled());
  EXPECT_FALSE(deployments->ServiceStatusCollectionEnabled());
}

TEST(ParseTypeConfigTest, ErrorsNameTheField) {
  const std::string fed_ok =
      R"("federatedType":{"group":"types.kubefed.io","version":"v1beta1","kind":"FederatedFoo","scope":"Namespaced"})";
  const std::string target_ok =
      R"("targetType":{"version":"v1","kind":"Foo","scope":"Namespaced"})";
  struct Case {
    std::string json;
    const char* field;
  };
  const Case cases[] = {
      {R"({"spec":{}})", "metadata"},
      {R"({"metadata":{"name":"foos"}})", "spec"},
      {R"({"metadata":{"name":"foos"},"spec":{)" + fed_ok + R"(,"propagation":"Enabled"}})",
       "spec.targetType"},
      {R"({"metadata":{"name":"bars.example.com"},"spec":{"targetType":{"version":"v1","kind":"Foo","pluralName":"foos","scope":"Namespaced"},)" +
           fed_ok + R"(,"propagation":"Enabled"}})",
       "metadata.name"},
      {R"({"metadata":{"name":"foos"},"spec":{)" + target_ok + "," + fed_ok +
           R"(,"propagation":"Sometimes"}})",
       "spec.propagation"},
      {R"({"metadata":{"name":"foos"},"spec":{)" + target_ok + "," + fed_ok + R"(}})",
       "spec.propagation"},
      {R"({"metadata":{"name":"foos"},"spec":{)" + target_ok +
           R"(,"federatedType":{"group":"types","version":"v1beta1","kind":"FederatedFoo","scope":"Namespaced"},"propagation":"Enabled"}})",
       "spec.federatedType.group"},
      {R"({"metadata":{"name":"foos"},"spec":{"targetType":{"kind":"Foo","scope":"Namespaced"},)" +
           fed_ok + R"(,"propagation":"Enabled"}})",
       "spec.targetType.version"},
      {R"({"metadata":{"name":"foos"},"spec":{"targetType":{"version":"v1","kind":"Foo","scope":"Global"},)" +
           fed_ok + R"(,"propagation":"Enabled"}})",
       "spec.targetType.scope"},
      {R"({"metadata":{"name":"foos"},"spec":{"targetType":{"version":1,"kind":"Foo","scope":"Namespaced"},)" +
           fed_ok + R"(,"propagation":"Enabled"}})",
       "spec.targetType.version"},
      {R"({"metadata":{"name":"foos"},"spec":{)" + target_ok + "," + fed_ok +
           R"(,"propagation":"Enabled","statusCollection":"Maybe"}})",
       "spec.statusCollection"},
  };
  for (const Case& c : cases) {
    auto config = ParseTypeConfig(Json(c.json));
    ASSERT_FALSE(config.ok()) << c.json;
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(config.status().message(), c.field))
        << config.status() << " want field " << c.field;
  }
}

TEST(TypeConfigToJsonTest, RoundTrips) {
  for (const TypeConfig& config : DefaultTypeConfigs()) {
    auto json = TypeConfigToJson(config);
    auto parsed = ParseTypeConfig(json);
    ASSERT_TRUE(parsed.ok()) << config.name << ": " << parsed.status();
    EXPECT_EQ(parsed->name, config.name);
    EXPECT_EQ(parsed->target_type, config.target_type);
    EXPECT_EQ(parsed->federated_type, config.federated_type);
    EXPECT_EQ(parsed->propagation_enabled, config.propagation_enabled);
  }
}

TEST(DefaultTypeConfigsTest, TheTenKubeFedTypes) {
  auto configs = DefaultTypeConfigs();
  ASSERT_EQ(configs.size(), 10u);
  struct Want {
    const char* name;
    const char* api_version;
    const char* kind;
    const char* federated_kind;
    const char* federated_plural;
    bool namespaced;
  };
  const Want want[] = {
      {"namespaces", "v1", "Namespace", "FederatedNamespace", "federatednamespaces", false},
      {"configmaps", "v1", "ConfigMap", "FederatedConfigMap", "federatedconfigmaps", true},
      {"secrets", "v1", "Secret", "FederatedSecret", "federatedsecrets", true},
      {"serviceaccounts", "v1", "ServiceAccount", "FederatedServiceAccount",
       "federatedserviceaccounts", true},
      {"services", "v1", "Service", "FederatedService", "federatedservices", true},
      {"deployments.apps", "apps/v1", "Deployment", "FederatedDeployment", "federateddeployments",
       true},
      {"replicasets.apps", "apps/v1", "ReplicaSet", "FederatedReplicaSet", "federatedreplicasets",
       true},
      {"jobs.batch", "batch/v1", "Job", "FederatedJob", "federatedjobs", true},
      {"ingresses.networking.k8s.io", "networking.k8s.io/v1", "Ingress", "FederatedIngress",
       "federatedingresses", true},
      {"clusterroles.rbac.authorization.k8s.io", "rbac.authorization.k8s.io/v1", "ClusterRole",
       "FederatedClusterRole", "federatedclusterroles", false},
  };
  for (size_t i = 0; i < configs.size(); ++i) {
    const TypeConfig& c = configs[i];
    EXPECT_EQ(c.name, want[i].name);
    EXPECT_EQ(c.target_type.ApiVersion(), want[i].api_version);
    EXPECT_EQ(c.target_type.kind, want[i].kind);
    EXPECT_EQ(c.federated_type.kind, want[i].federated_kind);
    EXPECT_EQ(c.federated_type.plural_name, want[i].federated_plural);
    EXPECT_EQ(c.federated_type.ApiVersion(), "types.kubefed.io/v1beta1");
    EXPECT_EQ(c.TargetNamespaced(), want[i].namespaced) << c.name;
    EXPECT_TRUE(c.propagation_enabled);
    EXPECT_TRUE(ValidateTypeConfig(c).ok()) << c.name;
  }
  EXPECT_TRUE(configs[0].FederatedNamespaced());
  EXPECT_EQ(configs[0].federated_type.scope, Scope::kNamespaced);
  EXPECT_FALSE(configs[9].FederatedNamespaced());
}

}  // namespace
}  // namespace kfed::federated_types
