// What the leading controller manager reports on KubeFedConfig `kubefed` when it reads it:
// the condition SettingsHonoured (kfed only; KubeFed's KubeFedConfig has no status) in
// status.conditions, False with reason IgnoredFields naming each field kfed accepts but does
// not apply and why (federated_types::IgnoredSettings), or True with reason AllFieldsHonoured.
// A field is never silently ignored: `kubectl get kubefedconfig kubefed -o yaml` says so, and
// the manager records a Warning Event (reason IgnoredFields) whenever the condition changes.
//
// ComputeSettingsStatus is pure (table-tested); ReportSettings reads and writes the host.
#ifndef KFED_CONTROLLER_KUBEFED_CONFIG_STATUS_H_
#define KFED_CONTROLLER_KUBEFED_CONFIG_STATUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// The condition's message: "" when nothing is ignored, else one clause per field:
// "controllerDuration.availableDelay (20s) is not applied: <why>; ...".
std::string IgnoredSettingsMessage(const std::vector<federated_types::IgnoredSetting>& ignored);

struct SettingsStatus {
  bool changed = false;      // the condition differs from what the object holds
  bool honoured = true;      // nothing ignored (condition True)
  std::string message;       // the condition's message
  rapidjson::Document object;  // when changed: `kubefedconfig` with the new status
};

// The KubeFedConfig object `kubefedconfig` with its SettingsHonoured condition set for
// `ignored`; other conditions are kept; lastTransitionTime moves only when the condition's
// status does; observedGeneration is the object's generation. `changed` is false when the
// object already says exactly that (no write, no Event).
SettingsStatus ComputeSettingsStatus(const rapidjson::Value& kubefedconfig,
                                     const std::vector<federated_types::IgnoredSetting>& ignored,
                                     absl::Time now);

// Reads KubeFedConfig `kubefed` in `kubefed_namespace`, and writes its status when the
// condition changed (again on a conflict, up to 3 times). Returns the status computed, with
// `object` the KubeFedConfig as written (or read, when unchanged): the Event's subject.
// Errors name the KubeFedConfig; the caller logs them (reporting never stops the manager).
absl::StatusOr<SettingsStatus> ReportSettings(kube::Client& host,
                                              const std::string& kubefed_namespace,
                                              const federated_types::KubeFedConfig& config,
                                              absl::Time now, const std::string& field_manager);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_KUBEFED_CONFIG_STATUS_H_
