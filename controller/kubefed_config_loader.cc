#include "controller/kubefed_config_loader.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/yaml_json.h"
#include "controller/kubefed_resources.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

absl::Status AwaitKubeFedConfigChecksum(kube::Client& host, const std::string& kubefed_namespace,
                                        const std::string& checksum, const CancellationToken& stop,
                                        Clock& clock) {
  if (checksum.empty()) return absl::OkStatus();
  const absl::Time deadline = clock.Now() + kKubeFedConfigChecksumWait;
  const std::string qualified = absl::StrCat(kubefed_namespace, "/", ft::kKubeFedConfigName);
  bool logged = false;
  while (true) {
    absl::StatusOr<kube::ObjectPtr> got =
        host.Get(KubeFedConfigsResource(), kubefed_namespace, ft::kKubeFedConfigName);
    std::string have = "no KubeFedConfig";
    if (got.ok()) {
      const rapidjson::Value* value =
          json::FindPath(**got, {"metadata", "annotations", kKubeFedConfigChecksumAnnotation});
      have = value != nullptr && value->IsString() ? value->GetString() : "no checksum";
      if (have == checksum) {
        if (logged) LOG(INFO) << "KubeFedConfig " << qualified << " has this Pod's settings now";
        return absl::OkStatus();
      }
    } else if (!kube::IsNotFound(got.status())) {
      have = std::string(got.status().message());
    }
    if (!logged) {
      LOG(INFO) << "waiting for KubeFedConfig " << qualified << " to carry "
                << kKubeFedConfigChecksumAnnotation << "=" << checksum
                << " (the settings this Pod was rendered with; Helm applies it after the "
                   "Deployment); now: "
                << have;
      logged = true;
    }
    if (clock.Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "KubeFedConfig ", qualified, " did not get ", kKubeFedConfigChecksumAnnotation, "=",
          checksum, " within ", absl::FormatDuration(kKubeFedConfigChecksumWait), " (", have,
          "): was the chart's upgrade applied? (--kubefed-config-checksum)"));
    }
    if (stop.WaitFor(clock, absl::Seconds(1))) {
      return absl::CancelledError("stopped while waiting for KubeFedConfig");
    }
  }
}

absl::StatusOr<ft::KubeFedConfig> LoadKubeFedConfig(kube::Client& host,
                                                    const std::string& kubefed_namespace,
                                                    const std::string& config_file) {
  const kube::GroupVersionResource gvr = KubeFedConfigsResource();
  std::string qualified = absl::StrCat(kubefed_namespace, "/", ft::kKubeFedConfigName);
  absl::StatusOr<kube::ObjectPtr> existing;
  if (!config_file.empty()) {
    // KubeFed's --kubefed-config (a test flag there): the settings come from the file and
    // nothing is written to the host.
    const std::string& path = config_file;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kubefed-config: cannot read KubeFedConfig file \"", path, "\""));
    }
    absl::StatusOr<rapidjson::Document> doc = yaml::ParseYaml(text.str());
    if (!doc.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kubefed-config: cannot decode KubeFedConfig from file \"", path,
                       "\": ", doc.status().message()));
    }
    const rapidjson::Value* name = json::FindPath(*doc, {"metadata", "name"});
    if (name != nullptr && name->IsString()) {
      qualified = absl::StrCat(kubefed_namespace, "/", name->GetString());
    }
    LOG(INFO) << "Setting Options with KubeFedConfig from file \"" << path << "\"";
    existing = kube::ObjectPtr(std::make_shared<rapidjson::Document>(std::move(*doc)));
  } else {
    existing = host.Get(gvr, kubefed_namespace, ft::kKubeFedConfigName);
    if (kube::IsNotFound(existing.status())) {
      LOG(INFO) << "KubeFedConfig " << qualified
                << " not found: creating it with KubeFed's defaults";
      rapidjson::Document defaults =
          ft::KubeFedConfigToJson(ft::DefaultKubeFedConfig(), kubefed_namespace);
      existing = host.Create(gvr, kubefed_namespace, defaults, {"kfed"});
      if (kube::IsAlreadyExists(existing.status())) {
        existing = host.Get(gvr, kubefed_namespace, ft::kKubeFedConfigName);
      }
    }
  }
  if (!existing.ok()) {
    return absl::Status(
        existing.status().code(),
        absl::StrCat("reading KubeFedConfig ", qualified, ": ", existing.status().message(),
                     " (are kfed's CRDs installed in the host? kubectl apply -f "
                     "federated_types/crds/)"));
  }
  absl::StatusOr<ft::KubeFedConfig> config = ft::ParseKubeFedConfig(**existing);
  if (config.ok()) {
    absl::Status valid = ft::ValidateKubeFedConfig(*config);
    if (!valid.ok()) config = valid;
  }
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid KubeFedConfig \"", qualified, "\": ", config.status().message()));
  }
  // The line KubeFed logs (operators and KubeFed's e2e suite look for it).
  LOG(INFO) << "Using valid KubeFedConfig \"" << qualified << "\"";
  return config;
}

}  // namespace kfed::controller
