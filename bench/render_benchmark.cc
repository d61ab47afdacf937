// Rendering plus overrides of a ~10 KB Deployment for one cluster (the sync controller's
// per-cluster work before comparing versions). Target: at most 20 µs.
//   bazel run -c opt //bench:render_benchmark
#include <string>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "benchmark/benchmark.h"
#include "federated_types/render.h"
#include "federated_types/type_config.h"

namespace kfed::federated_types {
namespace {

// A Deployment template of about `target_bytes` of compact JSON: containers with env vars,
// resources and probes, like a real workload.
std::string FederatedDeployment(size_t target_bytes) {
  std::string containers;
  for (int c = 0; containers.size() < target_bytes - 1200; ++c) {
    std::string env;
    for (int e = 0; e < 12; ++e) {
      absl::StrAppend(&env, e ? "," : "", R"({"name":"SETTING_)", c, "_", e, R"(","value":"value-)",
                      e * 7919, R"("})");
    }
    absl::StrAppend(&containers, c ? "," : "", R"({"name":"app-)", c,
                    R"(","image":"registry.example.com/team/app-)", c,
                    R"(:1.4.2","ports":[{"containerPort":)", 8080 + c,
                    R"(,"protocol":"TCP"}],"env":[)", env,
                    R"(],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},)"
                    R"("limits":{"cpu":"500m","memory":"512Mi"}},)"
                    R"("readinessProbe":{"httpGet":{"path":"/healthz","port":)",
                    8080 + c, R"(},"periodSeconds":10}})");
  }
  return absl::StrCat(
      R"({"apiVersion":"types.kubefed.io/v1beta1","kind":"FederatedDeployment",)"
      R"("metadata":{"name":"web","namespace":"team-a","generation":3,"uid":"u-1"},)"
      R"("spec":{"template":{"metadata":{"labels":{"app":"web","tier":"frontend"},)"
      R"("annotations":{"owner":"team-a@example.com"}},)"
      R"("spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},)"
      R"("template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[)",
      containers,
      R"(]}}}},"placement":{"clusterSelector":{}},"overrides":[)"
      R"({"clusterName":"member1","clusterOverrides":[{"path":"/spec/replicas","value":5},)"
      R"({"path":"/spec/template/spec/containers/0/image","value":"registry.example.com/team/app-0:1.4.3"},)"
      R"({"op":"add","path":"/metadata/labels/region","value":"eu"}]},)"
      R"({"clusterName":"member2","clusterOverrides":[{"path":"/spec/replicas","value":1}]},)"
      R"({"clusterName":"member3","clusterOverrides":[{"op":"remove","path":"/metadata/annotations"}]}]}})");
}

constexpr char kLive[] =
    R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"team-a",)"
    R"("resourceVersion":"8812","generation":7,"uid":"m-1","labels":{"kubefed.io/managed":"true"},)"
    R"("annotations":{"deployment.kubernetes.io/revision":"4","owner":"team-a@example.com",)"
    R"("kfed.io/template-annotations":"owner"}},"spec":{"replicas":5},"status":{"replicas":5}})";

TypeConfig DeploymentConfig() {
  for (const TypeConfig& c : DefaultTypeConfigs()) {
    if (c.name == "deployments.apps") return c;
  }
  return TypeConfig();
}

void Run(benchmark::State& state, bool update) {
  const std::string text = FederatedDeployment(10 * 1024);
  rapidjson::Document fed = *kfed::json::Parse(text);
  rapidjson::Document live = *kfed::json::Parse(kLive);
  const TypeConfig config = DeploymentConfig();
  RenderRequest request;
  request.federated_object = &fed;
  request.type_config = &config;
  request.cluster = "member1";
  request.live = update ? &live : nullptr;
  for (auto _ : state) {
    auto rendered = RenderForCluster(request);
    if (!rendered.ok()) {
      state.SkipWithError(std::string(rendered.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(rendered->object);
  }
  state.counters["federated_object_bytes"] = static_cast<double>(text.size());
}

// Step 1 alone (template copy, name/namespace/kind/apiVersion, annotations): the baseline.
void BM_TemplateOnly(benchmark::State& state) {
  rapidjson::Document fed = *kfed::json::Parse(FederatedDeployment(10 * 1024));
  const TypeConfig config = DeploymentConfig();
  for (auto _ : state) {
    auto rendered = ObjectFromTemplate(fed, config);
    benchmark::DoNotOptimize(rendered);
  }
}

void BM_RenderDeploymentCreate(benchmark::State& state) { Run(state, /*update=*/false); }
void BM_RenderDeploymentUpdate(benchmark::State& state) { Run(state, /*update=*/true); }

BENCHMARK(BM_TemplateOnly);
BENCHMARK(BM_RenderDeploymentCreate);
BENCHMARK(BM_RenderDeploymentUpdate);

}  // namespace
}  // namespace kfed::federated_types
