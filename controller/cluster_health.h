// Health of one member cluster, as KubeFed's KubeFedCluster controller reports it: a probe
// result becomes Ready/Offline conditions (ConfigMalformed when no client can be built), and
// a change is only published after `failure_threshold` consecutive failures or
// `success_threshold` consecutive successes. Pure value logic; the cluster controller runs the
// probes and writes the status.
#ifndef KFED_CONTROLLER_CLUSTER_HEALTH_H_
#define KFED_CONTROLLER_CLUSTER_HEALTH_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
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

  // Records a probe. `detail` says what went wrong (the configuration error, the probe's
  // error); it is published with the state it explains, and appended to the condition
  // messages so that they name the problem. A changed detail of a published
  // kConfigMalformed counts as a change (the configuration was edited); the detail of a
  // failing probe is kept from the probe that published the state (error texts carry
  // timings that would otherwise rewrite the status at every probe). Returns true when the
  // published state or detail changed (status must be written).
  bool Observe(ProbeResult result, absl::Time now, absl::string_view detail = "");

  // Before the first probe: takes the state the host already shows (the KubeFedCluster's
  // status, written by an earlier controller process) as published, so that the first probe
  // is held to the thresholds like any other instead of being published at once. A
  // controller restart then does not report a Ready member as offline because one probe
  // timed out (the replica scheduler would move its replicas away, and without rebalance
  // they would not come back). Only kOk is taken: a failed state is left to the first probe,
  // which publishes at once (a member that recovered is used at once). Ignored once a probe
  // was observed. The first probe that agrees with the seed counts as a change (Observe
  // returns true) so that this process writes the status once, as its first probe did
  // before; lastTransitionTime stays the seed's. KubeFed published the first probe at once
  // (a deliberate difference).
  void Seed(ProbeResult published, absl::Time last_transition);

  // The published state: what status.conditions says.
  ProbeResult published() const { return published_; }
  bool ready() const { return published_ == ProbeResult::kOk; }
  bool has_published() const { return has_published_; }
  const std::string& detail() const { return detail_; }
  // When the published state began (the Ready condition's lastTransitionTime).
  absl::Time last_transition() const { return last_transition_; }

  // KubeFedCluster status.conditions for the published state: Ready (True/False) and, as
  // KubeFed, Offline (True when unreachable, False otherwise) or ConfigMalformed. Messages are
  // KubeFed's, followed by ": <detail>" when there is one (kfed addition).
  // lastProbeTime is the last probe; lastTransitionTime the last published change.
  rapidjson::Value Conditions(rapidjson::Document::AllocatorType& alloc) const;

 private:
  int64_t failure_threshold_;
  int64_t success_threshold_;
  bool has_published_ = false;
  ProbeResult published_ = ProbeResult::kUnreachable;
  std::string detail_;
  ProbeResult pending_ = ProbeResult::kUnreachable;
  int64_t pending_count_ = 0;
  // False from Seed until a probe of this process agreed with the seeded state.
  bool confirmed_ = true;
  absl::Time last_probe_;
  absl::Time last_transition_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_HEALTH_H_
