// Health of one member cluster, as KubeFed's KubeFedCluster controller reports it: a probe
// result becomes Ready/Offline conditions (ConfigMalformed when no client can be built), and
// a change is only published after `failure_threshold` consecutive failures or
// `success_threshold` consecutive successes. Pure value logic; the cluster controller runs the
// probes and writes the status.
#ifndef KFED_CONTROLLER_CLUSTER_HEALTH_H_
#define KFED_CONTROLLER_CLUSTER_HEALTH_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "rapidjson/document.h"

namespace kfed::controller {

enum class ProbeResult {
  kOk,              // /readyz (or /healthz) answered "ok"
  kNotOk,           // answered, but not "ok"
  kUnreachable,     // no answer (connection, TLS, timeout)
  kConfigMalformed  // no client could be built (bad Secret, CA bundle, endpoint)
};

const char* ProbeResultName(ProbeResult result);

class ClusterHealth {
 public:
  ClusterHealth(int64_t failure_threshold, int64_t success_threshold);

  // Records a probe. Returns true when the published state changed (status must be written).
  bool Observe(ProbeResult result, absl::Time now);

  // The published state: what status.conditions says.
  ProbeResult published() const { return published_; }
  bool ready() const { return published_ == ProbeResult::kOk; }
  bool has_published() const { return has_published_; }

  // KubeFedCluster status.conditions for the published state: Ready (True/False) and, as
  // KubeFed, Offline (True when unreachable, False otherwise) or ConfigMalformed.
  // lastProbeTime is the last probe; lastTransitionTime the last published change.
  rapidjson::Value Conditions(rapidjson::Document::AllocatorType& alloc) const;

 private:
  int64_t failure_threshold_;
  int64_t success_threshold_;
  bool has_published_ = false;
  ProbeResult published_ = ProbeResult::kUnreachable;
  ProbeResult pending_ = ProbeResult::kUnreachable;
  int64_t pending_count_ = 0;
  absl::Time last_probe_;
  absl::Time last_transition_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_HEALTH_H_
