// Applying a typical 5-operation KubeFed override set to a ~10 KB Deployment, the work the
// sync controller does per member cluster after rendering.
//
//   bazel run -c opt //bench:overrides_benchmark
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/json_patch.h"
#include "overrides/overrides.h"
#include "rapidjson/document.h"

namespace {

// A realistic Deployment: last-applied annotation, two containers with env, probes,
// resources and volume mounts; env entries are added until it is about 10 KB.
std::string DeploymentJson() {
  std::string env;
  for (int i = 0; i < 72; ++i) {
    absl::StrAppend(&env, i == 0 ? "" : ",", R"({"name":"SETTING_)", i,
                    R"(","value":"value-for-setting-number-)", i, R"("})");
  }
  std::string container = absl::StrCat(R"({
    "name": "web", "image": "registry.example.com/shop/web:1.25.3",
    "args": ["--port=8080", "--log-level=info"],
    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
    "env": [)",
                                       env, R"(],
    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "failureThreshold": 3},
    "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}]})");
  return absl::StrCat(R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop",
    "labels": {"app": "web", "team": "storefront", "kubefed.io/managed": "true"},
    "annotations": {"deployment.kubernetes.io/revision": "7",
      "example.com/owner": "storefront-team@example.com"}},
  "spec": {"replicas": 3, "revisionHistoryLimit": 10,
    "selector": {"matchLabels": {"app": "web"}},
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    "template": {
      "metadata": {"labels": {"app": "web", "team": "storefront"},
        "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8080"}},
      "spec": {"serviceAccountName": "web", "terminationGracePeriodSeconds": 30,
        "containers": [)",
                      container, ",", container, R"(],
        "volumes": [{"name": "config", "configMap": {"name": "web-config"}}]}}}})");
}

constexpr char kOverrides[] = R"([
  {"clusterName": "member1", "clusterOverrides": [{"path": "/spec/replicas", "value": 1}]},
  {"clusterName": "member2", "clusterOverrides": [
    {"path": "/spec/replicas", "value": 5},
    {"op": "add", "path": "/metadata/labels/tier", "value": "gold"},
    {"path": "/spec/template/spec/containers/0/image", "value": "registry.example.com/shop/web:1.26.0"},
    {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {"name": "REGION", "value": "eu-west"}},
    {"op": "remove", "path": "/spec/template/metadata/annotations/prometheus.io~1port"}]}])";

struct Inputs {
  rapidjson::Document deployment;
  rapidjson::Document overrides;
  std::size_t deployment_bytes;
};

const Inputs& GetInputs() {
  static const Inputs* inputs = [] {
    auto* in = new Inputs;
    std::string text = DeploymentJson();
    in->deployment = *kfed::json::Parse(text);
    in->deployment_bytes = kfed::json::Serialize(in->deployment).size();
    in->overrides = *kfed::json::Parse(kOverrides);
    return in;
  }();
  return *inputs;
}

// The baseline: a fresh copy of the rendered object, which every override application
// below also pays for (the controller renders a new object per cluster).
void BM_CopyDeployment(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    rapidjson::Document object;
    object.CopyFrom(in.deployment, object.GetAllocator());
    benchmark::DoNotOptimize(object);
  }
  state.SetLabel(absl::StrCat(in.deployment_bytes, " byte Deployment"));
}
BENCHMARK(BM_CopyDeployment);

// Copy + validate all overrides + apply member2's 5 operations (atomically).
void BM_ApplyClusterOverrides5Ops(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    rapidjson::Document object;
    object.CopyFrom(in.deployment, object.GetAllocator());
    absl::Status status = kfed::overrides::ApplyClusterOverrides(in.overrides, "member2", &object);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(object);
  }
  state.SetLabel(absl::StrCat(in.deployment_bytes, " byte Deployment"));
}
BENCHMARK(BM_ApplyClusterOverrides5Ops);

// Copy + a cluster without overrides: the cost of validation alone.
void BM_ApplyClusterOverridesNoEntry(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    rapidjson::Document object;
    object.CopyFrom(in.deployment, object.GetAllocator());
    benchmark::DoNotOptimize(
        kfed::overrides::ApplyClusterOverrides(in.overrides, "member3", &object));
  }
}
BENCHMARK(BM_ApplyClusterOverridesNoEntry);

}  // namespace
