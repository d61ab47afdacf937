// KubeFedConfig `kubefed` (core.kubefed.io/v1beta1) as a value with KubeFed's defaults:
//   scope Cluster (when unset);
//   controllerDuration {availableDelay 20s, unavailableDelay 1m0s, cacheSyncTimeout 5m0s};
//   leaderElect {leaseDuration 15s, renewDeadline 10s, retryPeriod 5s, resourceLock configmaps};
//   featureGates: PushReconciler Enabled, SchedulerPreferences Enabled,
//     RawResourceStatusCollection Disabled added when not named, the list sorted by name;
//   clusterHealthCheck {period 10s, failureThreshold 3, successThreshold 1, timeout 3s};
//   syncController {maxConcurrentReconciles 1, adoptResources Enabled};
//   statusController {maxConcurrentReconciles 1}.
// Durations are Go duration strings ("1m30s", "500ms") and are written back the way Go's
// time.Duration prints them ("1m0s").
#ifndef KFED_FEDERATED_TYPES_KUBEFED_CONFIG_H_
#define KFED_FEDERATED_TYPES_KUBEFED_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace kfed::federated_types {

struct FeatureGate {
  std::string name;
  bool enabled = false;
  bool operator==(const FeatureGate& o) const { return name == o.name && enabled == o.enabled; }
};

struct KubeFedConfig {
  // Namespaced: the federation namespace is the only target of the control plane.
  bool namespaced_scope = false;

  absl::Duration available_delay = absl::Seconds(20);
  absl::Duration unavailable_delay = absl::Seconds(60);
  absl::Duration cache_sync_timeout = absl::Minutes(5);

  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(5);
  std::string resource_lock = "configmaps";

  std::vector<FeatureGate> feature_gates;  // sorted by name, defaults included

  absl::Duration health_check_period = absl::Seconds(10);
  int64_t health_check_failure_threshold = 3;
  int64_t health_check_success_threshold = 1;
  absl::Duration health_check_timeout = absl::Seconds(3);

  int64_t sync_max_concurrent_reconciles = 1;
  bool adopt_resources = true;
  int64_t status_max_concurrent_reconciles = 1;

  // The gate's configuration; false for a gate that is not listed.
  bool FeatureEnabled(absl::string_view name) const;
};

// All defaults (including the default feature gates).
KubeFedConfig DefaultKubeFedConfig();

// Adds the default feature gates that `gates` does not name and sorts by name.
void SetDefaultFeatureGates(std::vector<FeatureGate>* gates);

// Parses a KubeFedConfig object (reads `spec`; a missing spec or field takes its default),
// then validates as KubeFed does. InvalidArgument naming the field.
absl::StatusOr<KubeFedConfig> ParseKubeFedConfig(const rapidjson::Value& object);

// KubeFed's validation: durations and thresholds > 0, leaseDuration > renewDeadline,
// renewDeadline > retryPeriod * 1.2, known resource lock, feature gate names known and not
// repeated.
absl::Status ValidateKubeFedConfig(const KubeFedConfig& config);

// The complete object (apiVersion, kind, metadata {name kubefed, namespace}, spec) with every
// field written.
rapidjson::Document KubeFedConfigToJson(const KubeFedConfig& config,
                                        absl::string_view kubefed_namespace);

// A KubeFedConfig field kfed accepts (valid, as in KubeFed) but does not apply, and why.
struct IgnoredSetting {
  std::string field;  // "controllerDuration.availableDelay"
  std::string value;  // as configured, Go's form ("20s")
  std::string why;
};

// The fields of `config` kfed accepts without applying: controllerDuration.availableDelay and
// unavailableDelay (KubeFed's sync controllers waited that long after a cluster turned Ready /
// not Ready before re-processing every object; kfed re-plans at once). Every other field
// takes effect (docs/user-guide.md, "KubeFedConfig: which fields take effect").
std::vector<IgnoredSetting> IgnoredSettings(const KubeFedConfig& config);

// Go's time.ParseDuration ("1h2m3.5s", "300ms", "2us"/"2µs", "-1m"). Infinity is rejected.
absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text);
// Go's time.Duration.String() ("1h0m0s", "1m30s", "1.5s", "300ms", "2µs", "0s").
std::string FormatGoDuration(absl::Duration duration);

}  // namespace kfed::federated_types

#endif  // KFED_FEDERATED_TYPES_KUBEFED_CONFIG_H_
