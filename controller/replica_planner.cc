#include "controller/replica_planner.h"

#include <algorithm>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "base/status_macros.h"

namespace kfed::controller {
namespace {

using federated_types::ClusterPreference;

// A cluster taking part in the weighted distribution.
struct Candidate {
  std::string name;
  uint32_t hash = 0;
  ClusterPreference preference;
};

// KubeFed's order (byWeight): higher weight first, then lower hash. Names only break what
// KubeFed leaves unspecified.
bool ComesBefore(const Candidate& a, const Candidate& b) {
  if (a.preference.weight != b.preference.weight) {
    return a.preference.weight > b.preference.weight;
  }
  if (a.hash != b.hash) return a.hash < b.hash;
  return a.name < b.name;
}

// The value at `name` in `values`, or nullptr.
const int64_t* Lookup(const std::map<std::string, int64_t>& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

}  // namespace

uint32_t ClusterOrderHash(absl::string_view cluster_name, absl::string_view key) {
  // FNV-1 (multiply, then xor), as Go's fnv.New32; not FNV-1a.
  constexpr uint32_t kOffsetBasis = 2166136261u;
  constexpr uint32_t kPrime = 16777619u;
  uint32_t hash = kOffsetBasis;
  for (absl::string_view part : {cluster_name, key}) {
    for (unsigned char c : part) {
      hash *= kPrime;
      hash ^= c;
    }
  }
  return hash;
}

absl::StatusOr<ReplicaPlan> PlanReplicas(const ReplicaPlanRequest& request) {
  RETURN_IF_ERROR(federated_types::ValidateClusterPreferences(request.preferences));
  if (request.total_replicas < 0) {
    return absl::InvalidArgumentError("total replicas must not be negative");
  }
  ReplicaPlan result;
  std::map<std::string, int64_t>& plan = result.replicas;
  const auto wildcard =
      request.preferences.find(std::string(federated_types::kAllClustersPreference));

  std::vector<Candidate> candidates;
  for (const std::string& cluster : request.available_clusters) {
    auto own = request.preferences.find(cluster);
    if (own == request.preferences.end()) own = wildcard;
    if (own == request.preferences.end()) {
      plan[cluster] = 0;  // no preference and no "*": no replicas
      continue;
    }
    candidates.push_back({cluster, ClusterOrderHash(cluster, request.key), own->second});
  }
  std::sort(candidates.begin(), candidates.end(), ComesBefore);

  int64_t remaining = request.total_replicas;

  // Step 2: minimums, in order.
  for (const Candidate& c : candidates) {
    int64_t replicas = std::min(c.preference.min_replicas, remaining);
    if (const int64_t* capacity = Lookup(request.estimated_capacity, c.name)) {
      replicas = std::min(replicas, *capacity);
    }
    remaining -= replicas;
    plan[c.name] = replicas;
  }

  // Step 3: without rebalance, keep what runs now (up to max, capacity and what is left).
  std::map<std::string, int64_t> preallocated;
  if (!request.rebalance) {
    for (const Candidate& c : candidates) {
      const int64_t planned = plan[c.name];
      const int64_t* running = Lookup(request.current_replicas, c.name);
      if (running == nullptr || *running <= planned) continue;
      int64_t target = *running;
      if (c.preference.max_replicas.has_value()) {
        target = std::min(target, *c.preference.max_replicas);
      }
      if (const int64_t* capacity = Lookup(request.estimated_capacity, c.name)) {
        target = std::min(target, *capacity);
      }
      const int64_t extra = std::max<int64_t>(std::min(target - planned, remaining), 0);
      remaining -= extra;
      preallocated[c.name] = extra;
      plan[c.name] = planned + extra;
    }
  }

  // Step 4: weighted rounds. Each round either places every replica left, fills a cluster
  // (which then leaves) or uses up preallocated replicas, so the rounds end.
  std::vector<Candidate> in_play = std::move(candidates);
  bool modified = true;
  while (modified && remaining > 0) {
    modified = false;
    absl::int128 weight_sum = 0;
    for (const Candidate& c : in_play) weight_sum += c.preference.weight;
    if (weight_sum <= 0) break;  // only weight-0 clusters left: nothing more is placed

    std::vector<Candidate> next_round;
    const int64_t to_distribute = remaining;
    for (Candidate& c : in_play) {
      const int64_t start = plan[c.name];
      // This cluster's share of the round, rounded up. Exact: no int64 overflow (see header).
      const absl::int128 share =
          (absl::int128(to_distribute) * c.preference.weight + weight_sum - 1) / weight_sum;
      int64_t extra = static_cast<int64_t>(std::min<absl::int128>(share, remaining));

      // Preallocated replicas are part of the share, not extra to it.
      int64_t& prealloc = preallocated[c.name];
      const int64_t used_prealloc = std::min(extra, prealloc);
      prealloc -= used_prealloc;
      extra -= used_prealloc;
      if (used_prealloc > 0) modified = true;

      int64_t total = start + extra;
      bool full = false;
      if (c.preference.max_replicas.has_value() && total > *c.preference.max_replicas) {
        total = *c.preference.max_replicas;
        full = true;
      }
      if (const int64_t* capacity = Lookup(request.estimated_capacity, c.name);
          capacity != nullptr && total > *capacity) {
        result.overflow[c.name] = total - *capacity;
        total = *capacity;
        full = true;
      }
      remaining -= total - start;
      plan[c.name] = total;
      if (total > start) modified = true;
      if (!full) next_round.push_back(std::move(c));
    }
    in_play = std::move(next_round);
  }

  // Step 5: without rebalance, overflow is at most what could not be placed anywhere.
  if (!request.rebalance) {
    std::map<std::string, int64_t> trimmed;
    for (const auto& [cluster, excess] : result.overflow) {
      const int64_t kept = std::min(excess, remaining);
      if (kept > 0) trimmed[cluster] = kept;
    }
    result.overflow = std::move(trimmed);
  }
  return result;
}

}  // namespace kfed::controller
