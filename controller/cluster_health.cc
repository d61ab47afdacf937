#include "controller/cluster_health.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/status.h"
#include "federated_types/keys.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

bool IsFailure(ProbeResult r) { return r != ProbeResult::kOk; }

rapidjson::Value Condition(absl::string_view type, bool status, absl::string_view reason,
                           absl::string_view message, absl::Time probe, absl::Time transition,
                           rapidjson::Document::AllocatorType& a) {
  rapidjson::Value c(rapidjson::kObjectType);
  json::SetString(c, "type", type, a);
  json::SetString(c, "status", status ? "True" : "False", a);
  json::SetString(c, "reason", reason, a);
  json::SetString(c, "message", message, a);
  json::SetString(c, "lastProbeTime", FormatKubeTime(probe), a);
  json::SetString(c, "lastTransitionTime", FormatKubeTime(transition), a);
  return c;
}

}  // namespace

const char* ProbeResultName(ProbeResult result) {
  switch (result) {
    case ProbeResult::kOk:
      return "ready";
    case ProbeResult::kNotOk:
      return "notready";
    case ProbeResult::kUnreachable:
      return "offline";
    case ProbeResult::kConfigMalformed:
      return "configmalformed";
  }
  return "unknown";
}

ClusterHealth::ClusterHealth(int64_t failure_threshold, int64_t success_threshold)
    : failure_threshold_(std::max<int64_t>(1, failure_threshold)),
      success_threshold_(std::max<int64_t>(1, success_threshold)) {}

bool ClusterHealth::Observe(ProbeResult result, absl::Time now, absl::string_view detail) {
  last_probe_ = now;
  if (result == ProbeResult::kOk) detail = "";
  if (!has_published_) {
    // The first observation is published at once: nothing better is known.
    has_published_ = true;
    published_ = result;
    detail_ = std::string(detail);
    last_transition_ = now;
    pending_count_ = 0;
    return true;
  }
  if (result == published_) {
    pending_count_ = 0;
    if (!confirmed_) {
      // The seeded state, seen by this process's own probe: written once (lastProbeTime).
      confirmed_ = true;
      return true;
    }
    if (result == ProbeResult::kConfigMalformed && detail != detail_) {
      detail_ = std::string(detail);
      return true;
    }
    return false;
  }
  if (result == pending_) {
    ++pending_count_;
  } else {
    pending_ = result;
    pending_count_ = 1;
  }
  // A malformed configuration is a fact about the config, not a flaky probe: publish at once.
  const int64_t needed = result == ProbeResult::kConfigMalformed ? 1
                         : IsFailure(result)                     ? failure_threshold_
                                                                 : success_threshold_;
  if (pending_count_ < needed) return false;
  confirmed_ = true;
  published_ = result;
  detail_ = std::string(detail);
  last_transition_ = now;
  pending_count_ = 0;
  return true;
}

void ClusterHealth::Seed(ProbeResult published, absl::Time last_transition) {
  if (has_published_ || published != ProbeResult::kOk) return;
  has_published_ = true;
  published_ = published;
  detail_.clear();
  last_transition_ = last_transition;
  last_probe_ = last_transition;
  pending_count_ = 0;
  confirmed_ = false;
}

rapidjson::Value ClusterHealth::Conditions(rapidjson::Document::AllocatorType& a) const {
  rapidjson::Value conditions(rapidjson::kArrayType);
  auto with_detail = [this](absl::string_view message) {
    return detail_.empty() ? std::string(message) : absl::StrCat(message, ": ", detail_);
  };
  switch (published_) {
    case ProbeResult::kOk:
      conditions.PushBack(Condition(ft::kClusterReadyCondition, true, ft::kClusterReadyReason,
                                    ft::kClusterReadyMessage, last_probe_, last_transition_, a),
                          a);
      break;
    case ProbeResult::kNotOk:
      conditions.PushBack(
          Condition(ft::kClusterReadyCondition, false, ft::kClusterNotReadyReason,
                    with_detail(ft::kClusterNotReadyMessage), last_probe_, last_transition_, a),
          a);
      conditions.PushBack(
          Condition(ft::kClusterOfflineCondition, false, ft::kClusterReachableReason,
                    ft::kClusterReachableMessage, last_probe_, last_transition_, a),
          a);
      break;
    case ProbeResult::kUnreachable:
      conditions.PushBack(
          Condition(ft::kClusterReadyCondition, false, ft::kClusterNotReachableReason,
                    with_detail(ft::kClusterNotReachableMessage), last_probe_, last_transition_, a),
          a);
      conditions.PushBack(
          Condition(ft::kClusterOfflineCondition, true, ft::kClusterNotReachableReason,
                    with_detail(ft::kClusterNotReachableMessage), last_probe_, last_transition_, a),
          a);
      break;
    case ProbeResult::kConfigMalformed:
      conditions.PushBack(
          Condition(ft::kClusterReadyCondition, false, ft::kClusterConfigMalformedReason,
                    with_detail(ft::kClusterConfigMalformedMessage), last_probe_, last_transition_,
                    a),
          a);
      conditions.PushBack(
          Condition(ft::kClusterConfigMalformedCondition, true, ft::kClusterConfigMalformedReason,
                    with_detail(ft::kClusterConfigMalformedMessage), last_probe_, last_transition_,
                    a),
          a);
      break;
  }
  return conditions;
}

}  // namespace kfed::controller
