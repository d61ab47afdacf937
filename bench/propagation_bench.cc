// The bare parallel writer for bench/propagation.sh: creates N ConfigMaps (or Deployments) in
// each member directly, with kfed's own client library (kube::RestClient), one client per
// member with kfed's member rate limit, and as many threads per member as kfed's
// --cluster-workers. Its throughput is the limit kfed's cold start is compared with.
//
// Usage: propagation_bench --kubeconfig FILE --contexts member1,member2,member3
//          --namespace NS --count N [--kind configmap|deployment] [--workers 4]
//          [--qps 100] [--burst 200] [--prefix bare-]
// Prints one line: `bare_writer objects=<total> seconds=<wall> objects_per_second=<rate>
// errors=<n>`. Exits non-zero when any create failed.
//
// With `--drifts M` it measures drift revert instead: M times, one at a time, it changes
// data.key of a random kfed-managed ConfigMap `<prefix><i>` (i < count) in a random member,
// then reads it back (GET in a loop, no sleep) until kfed has restored it, and prints
// `drift_revert n=<M> p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. timeouts=<n>`.
//
// With `--sustain-rate R --sustain-seconds S --host-context CTX` it measures sustained change:
// on a fixed schedule of R per second (open loop: a slow answer does not lower the rate) it
// merge-patches spec.template.data.key of FederatedConfigMap `<prefix><i>` (i round-robin
// below count) in the host, with a unique value, and watches the ConfigMaps of every member
// context; the latency of one update in one member runs from the host's answer to the PATCH
// to the member's watch event carrying the value. Prints per member and for all:
// `sustained member=<ctx|all> rate=R writes=<n> seen=<n> p50_ms=.. p99_ms=.. max_ms=.. missing=<n>`.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/json.h"
#include "federated_types/keys.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/resource.h"

namespace kfed::bench {
namespace {

struct Flags {
  std::string kubeconfig;
  std::vector<std::string> contexts;
  std::string ns = "bench-bare";
  std::string kind = "configmap";
  std::string prefix = "bare-";
  int count = 100;
  int workers = 4;
  double qps = 100;
  int burst = 200;
  int drifts = 0;
  double sustain_rate = 0;
  int sustain_seconds = 30;
  // Values written are "<tag>-<seq>": each run of the sustained phase needs its own tag, or
  // rewriting an earlier run's value is a no-op the apiserver does not announce.
  std::string sustain_tag = "s";
  std::string host_context;
};

bool ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--kubeconfig") {
      flags.kubeconfig = value;
    } else if (name == "--contexts") {
      flags.contexts = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (name == "--namespace") {
      flags.ns = value;
    } else if (name == "--kind") {
      flags.kind = value;
    } else if (name == "--prefix") {
      flags.prefix = value;
    } else if (name == "--count") {
      if (!absl::SimpleAtoi(value, &flags.count)) return false;
    } else if (name == "--workers") {
      if (!absl::SimpleAtoi(value, &flags.workers)) return false;
    } else if (name == "--qps") {
      if (!absl::SimpleAtod(value, &flags.qps)) return false;
    } else if (name == "--drifts") {
      if (!absl::SimpleAtoi(value, &flags.drifts)) return false;
    } else if (name == "--sustain-rate") {
      if (!absl::SimpleAtod(value, &flags.sustain_rate)) return false;
    } else if (name == "--sustain-tag") {
      flags.sustain_tag = std::string(value);
    } else if (name == "--sustain-seconds") {
      if (!absl::SimpleAtoi(value, &flags.sustain_seconds)) return false;
    } else if (name == "--host-context") {
      flags.host_context = value;
    } else if (name == "--burst") {
      if (!absl::SimpleAtoi(value, &flags.burst)) return false;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", name.c_str());
      return false;
    }
  }
  return !flags.kubeconfig.empty() && !flags.contexts.empty() && flags.count > 0 &&
         flags.workers > 0 && (flags.kind == "configmap" || flags.kind == "deployment");
}

// The same object kfed renders for the benchmark's federated templates (bench/propagation.sh).
std::string ObjectJson(const Flags& flags, int i) {
  const std::string name = absl::StrCat(flags.prefix, i);
  if (flags.kind == "configmap") {
    return absl::StrCat(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")", name,
                        R"(","labels":{"app":"bench"}},"data":{"key":"value-)", i, R"("}})");
  }
  return absl::StrCat(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")", name,
      R"(","labels":{"app":"bench"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":")",
      name, R"("}},"template":{"metadata":{"labels":{"app":")", name,
      R"("}},"spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9"}]}}}})");
}

double Percentile(std::vector<double> sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int RunDrift(const Flags& flags, std::vector<std::unique_ptr<kube::RestClient>>& clients) {
  const kube::GroupVersionResource gvr{"", "v1", "configmaps", true, "ConfigMap"};
  std::mt19937 rng(42);
  std::vector<double> latencies_ms;
  int timeouts = 0;
  for (int d = 0; d < flags.drifts; ++d) {
    const size_t c = rng() % clients.size();
    const int i = static_cast<int>(rng() % static_cast<unsigned>(flags.count));
    const std::string name = absl::StrCat(flags.prefix, i);
    absl::StatusOr<kube::ObjectPtr> before = clients[c]->Get(gvr, flags.ns, name);
    if (!before.ok()) {
      std::fprintf(stderr, "get %s: %s\n", name.c_str(), before.status().ToString().c_str());
      return 1;
    }
    const std::string want = json::GetString(*json::Find(**before, "data"), "key");
    absl::StatusOr<kube::ObjectPtr> patched =
        clients[c]->Patch(gvr, flags.ns, name, kube::PatchType::kMerge,
                          absl::StrCat(R"({"data":{"key":"drift-)", d, R"("}})"),
                          kube::PatchOptions{});
    // Measured from the moment the drift is committed (the PATCH answered).
    const absl::Time start = absl::Now();
    if (!patched.ok()) {
      std::fprintf(stderr, "patch %s: %s\n", name.c_str(), patched.status().ToString().c_str());
      return 1;
    }
    bool reverted = false;
    while (absl::Now() - start < absl::Seconds(30)) {
      absl::StatusOr<kube::ObjectPtr> now = clients[c]->Get(gvr, flags.ns, name);
      if (now.ok()) {
        const rapidjson::Value* data = json::Find(**now, "data");
        if (data != nullptr && json::GetString(*data, "key") == want) {
          reverted = true;
          break;
        }
      }
    }
    if (!reverted) {
      ++timeouts;
      continue;
    }
    latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("drift_revert n=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f timeouts=%d\n",
              flags.drifts, Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.9),
              Percentile(latencies_ms, 0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back(),
              timeouts);
  return timeouts == 0 ? 0 : 1;
}

absl::StatusOr<std::unique_ptr<kube::RestClient>> ClientFor(const Flags& flags,
                                                            const std::string& context) {
  absl::StatusOr<kube::RestConfig> config =
      kube::LoadKubeconfig({/*paths=*/{flags.kubeconfig}, context});
  if (!config.ok()) return config.status();
  config->qps = flags.qps;
  config->burst = flags.burst;
  return kube::RestClient::Create(*std::move(config));
}

int RunSustained(const Flags& flags, std::vector<std::unique_ptr<kube::RestClient>>& members) {
  absl::StatusOr<std::unique_ptr<kube::RestClient>> host = ClientFor(flags, flags.host_context);
  if (!host.ok()) {
    std::fprintf(stderr, "%s: %s\n", flags.host_context.c_str(),
                 host.status().ToString().c_str());
    return 1;
  }
  const kube::GroupVersionResource cm{"", "v1", "configmaps", true, "ConfigMap"};
  const kube::GroupVersionResource fcm{std::string(federated_types::kTypesGroup),
                                       std::string(federated_types::kV1Beta1),
                                       "federatedconfigmaps", true, "FederatedConfigMap"};
  const int total = static_cast<int>(flags.sustain_rate * flags.sustain_seconds);
  // written[seq]: when the host answered the PATCH carrying "<tag>-<seq>" (InfiniteFuture: not
  // yet).
  const std::string tag = flags.sustain_tag + "-";
  absl::Mutex mu;
  std::vector<absl::Time> written(static_cast<size_t>(total), absl::InfiniteFuture());
  // seen[member][seq]: when the member's watch delivered it.
  std::vector<std::vector<absl::Time>> seen(
      members.size(), std::vector<absl::Time>(static_cast<size_t>(total), absl::InfiniteFuture()));
  CancellationToken stop;
  std::vector<std::thread> watchers;
  std::atomic<int> watching{0};
  for (size_t m = 0; m < members.size(); ++m) {
    watchers.emplace_back([&, m] {
      kube::ListOptions lo;
      lo.label_selector = "app=bench";
      absl::StatusOr<kube::ObjectList> list = members[m]->List(cm, flags.ns, lo);
      if (!list.ok()) {
        std::fprintf(stderr, "%s: list: %s\n", flags.contexts[m].c_str(),
                     list.status().ToString().c_str());
        ++watching;
        return;
      }
      kube::WatchOptions o;
      o.label_selector = "app=bench";
      o.resource_version = list->resource_version;
      ++watching;
      while (!stop.IsCancelled()) {
        absl::Status s = members[m]->Watch(cm, flags.ns, o, [&](const kube::WatchEvent& e) {
          if (e.type == kube::WatchEventType::kModified || e.type == kube::WatchEventType::kAdded) {
            const absl::Time now = absl::Now();
            const rapidjson::Value* data = json::Find(*e.object, "data");
            const std::string value = data != nullptr ? json::GetString(*data, "key") : "";
            int seq = -1;
            if (absl::StartsWith(value, tag) && absl::SimpleAtoi(value.substr(tag.size()), &seq) &&
                seq >= 0 && seq < total) {
              absl::MutexLock lock(&mu);
              if (seen[m][static_cast<size_t>(seq)] == absl::InfiniteFuture()) {
                seen[m][static_cast<size_t>(seq)] = now;
              }
            }
          }
          if (const rapidjson::Value* meta = json::Find(*e.object, "metadata")) {
            std::string rv = json::GetString(*meta, "resourceVersion");
            if (!rv.empty()) o.resource_version = rv;
          }
          return true;
        }, &stop);
        if (!s.ok() && !stop.IsCancelled()) absl::SleepFor(absl::Milliseconds(100));
      }
    });
  }
  while (watching.load() < static_cast<int>(members.size())) absl::SleepFor(absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(500));  // let every watch connect

  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&] {
      for (int seq = next++; seq < total; seq = next++) {
        const absl::Time due = start + absl::Seconds(seq / flags.sustain_rate);
        absl::SleepFor(due - absl::Now());
        const std::string name = absl::StrCat(flags.prefix, seq % flags.count);
        absl::StatusOr<kube::ObjectPtr> r = (*host)->Patch(
            fcm, flags.ns, name, kube::PatchType::kMerge,
            absl::StrCat(R"({"spec":{"template":{"data":{"key":")", tag, seq, R"("}}}})"),
            kube::PatchOptions{});
        const absl::Time now = absl::Now();
        if (!r.ok()) {
          if (errors++ < 5) {
            std::fprintf(stderr, "patch %s: %s\n", name.c_str(), r.status().ToString().c_str());
          }
          continue;
        }
        absl::MutexLock lock(&mu);
        written[static_cast<size_t>(seq)] = now;
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const double write_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  // Wait (at most 30 s) for the last values to arrive everywhere; an object's later update
  // supersedes an earlier one, so only the last value written per object must be seen.
  auto all_seen = [&]() {
    absl::MutexLock lock(&mu);
    for (size_t m = 0; m < members.size(); ++m) {
      for (int i = std::max(0, total - flags.count); i < total; ++i) {
        if (written[static_cast<size_t>(i)] != absl::InfiniteFuture() &&
            seen[m][static_cast<size_t>(i)] == absl::InfiniteFuture()) {
          return false;
        }
      }
    }
    return true;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!all_seen() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  stop.Cancel();
  for (std::thread& t : watchers) t.join();

  std::vector<double> all;
  int missing_total = 0;
  absl::MutexLock lock(&mu);
  for (size_t m = 0; m <= members.size(); ++m) {
    const bool is_all = m == members.size();
    std::vector<double> lat;
    int missing = 0;
    int writes = 0;
    // Missing values as ranges of their sequence numbers, and the worst latencies' seconds
    // into the phase: which part of the phase went wrong.
    std::string missing_ranges;
    int range_start = -1;
    int ranges = 0;
    auto close_range = [&](int end) {
      if (range_start < 0) return;
      if (++ranges <= 8) {
        absl::StrAppend(&missing_ranges, missing_ranges.empty() ? "" : ",", range_start,
                        end > range_start ? absl::StrCat("-", end) : "");
      }
      range_start = -1;
    };
    for (int i = 0; i < total; ++i) {
      if (written[static_cast<size_t>(i)] == absl::InfiniteFuture()) continue;
      ++writes;
      if (is_all) continue;
      const absl::Time t = seen[m][static_cast<size_t>(i)];
      if (t == absl::InfiniteFuture()) {
        // Superseded values may be coalesced by the controller (level-based): only a value
        // that was the object's last one counts as missing.
        if (i + flags.count >= total) {
          ++missing;
          if (range_start < 0) range_start = i;
        } else {
          close_range(i - 1);
        }
        continue;
      }
      close_range(i - 1);
      lat.push_back(std::max(0.0, absl::ToDoubleMilliseconds(t - written[static_cast<size_t>(i)])));
    }
    close_range(total - 1);
    if (is_all) {
      lat = all;
      missing = missing_total;
    } else {
      all.insert(all.end(), lat.begin(), lat.end());
      missing_total += missing;
    }
    std::sort(lat.begin(), lat.end());
    std::printf(
        "sustained member=%s rate=%.0f achieved_rate=%.1f writes=%d seen=%zu p50_ms=%.1f "
        "p99_ms=%.1f max_ms=%.1f missing=%d errors=%d%s%s\n",
        is_all ? "all" : flags.contexts[m].c_str(), flags.sustain_rate, writes / write_seconds,
        writes, lat.size(), Percentile(lat, 0.5), Percentile(lat, 0.99),
        lat.empty() ? 0.0 : lat.back(), missing, errors.load(),
        missing_ranges.empty() ? "" : " missing_seqs=", missing_ranges.c_str());
  }
  return missing_total == 0 && errors.load() == 0 ? 0 : 1;
}

int Run(const Flags& flags) {
  const kube::GroupVersionResource gvr =
      flags.kind == "configmap"
          ? kube::GroupVersionResource{"", "v1", "configmaps", true, "ConfigMap"}
          : kube::GroupVersionResource{"apps", "v1", "deployments", true, "Deployment"};
  std::vector<std::unique_ptr<kube::RestClient>> clients;
  for (const std::string& context : flags.contexts) {
    absl::StatusOr<kube::RestConfig> config =
        kube::LoadKubeconfig({/*paths=*/{flags.kubeconfig}, context});
    if (!config.ok()) {
      std::fprintf(stderr, "%s: %s\n", context.c_str(), config.status().ToString().c_str());
      return 1;
    }
    config->qps = flags.qps;
    config->burst = flags.burst;
    absl::StatusOr<std::unique_ptr<kube::RestClient>> client =
        kube::RestClient::Create(*std::move(config));
    if (!client.ok()) {
      std::fprintf(stderr, "%s: %s\n", context.c_str(), client.status().ToString().c_str());
      return 1;
    }
    clients.push_back(*std::move(client));
  }

  if (flags.drifts > 0) return RunDrift(flags, clients);
  if (flags.sustain_rate > 0) return RunSustained(flags, clients);

  std::atomic<int> errors{0};
  std::vector<std::unique_ptr<std::atomic<int>>> next;
  for (size_t c = 0; c < clients.size(); ++c) next.push_back(std::make_unique<std::atomic<int>>(0));
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < clients.size(); ++c) {
    for (int w = 0; w < flags.workers; ++w) {
      threads.emplace_back([&, c] {
        for (int i = (*next[c])++; i < flags.count; i = (*next[c])++) {
          absl::StatusOr<rapidjson::Document> object = json::Parse(ObjectJson(flags, i));
          if (!object.ok()) {
            ++errors;
            continue;
          }
          absl::StatusOr<kube::ObjectPtr> created =
              clients[c]->Create(gvr, flags.ns, *object, kube::WriteOptions{});
          if (!created.ok() && !absl::IsAlreadyExists(created.status())) {
            if (errors++ < 5) {
              std::fprintf(stderr, "%s %d: %s\n", flags.contexts[c].c_str(), i,
                           created.status().ToString().c_str());
            }
          }
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int total = flags.count * static_cast<int>(clients.size());
  std::printf("bare_writer objects=%d seconds=%.3f objects_per_second=%.1f errors=%d\n", total,
              seconds, total / seconds, errors.load());
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace kfed::bench

int main(int argc, char** argv) {
  kfed::bench::Flags flags;
  if (!kfed::bench::ParseFlags(argc, argv, flags)) {
    std::fprintf(stderr,
                 "usage: propagation_bench --kubeconfig FILE --contexts a,b,c --namespace NS "
                 "--count N [--kind configmap|deployment] [--workers 4] [--qps 100] "
                 "[--burst 200] [--prefix bare-] [--drifts M] [--sustain-rate R "
                 "--sustain-seconds S --host-context CTX [--sustain-tag T]]\n");
    return 2;
  }
  return kfed::bench::Run(flags);
}
