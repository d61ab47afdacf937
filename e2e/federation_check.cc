#include "e2e/federation_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/json.h"
#include "e2e/cluster_env.h"
#include "e2e/federation_env.h"
#include "rapidjson/document.h"

namespace kfed::e2e {
namespace {

using ::absl::StrCat;

constexpr char kRootCa[] = "kube-root-ca.crt";  // every namespace gets one from its cluster

std::string Key(const std::string& member, const std::string& name) {
  return StrCat(member, "/", name);
}

std::string ExpectedRegion(const DesiredConfigMap& d, const std::string& cluster) {
  auto it = d.region.find(cluster);
  return it == d.region.end() ? "any" : it->second;
}

bool Placed(const DesiredConfigMap& d, const std::string& cluster) {
  return std::find(d.clusters.begin(), d.clusters.end(), cluster) != d.clusters.end();
}

std::string Labels(const rapidjson::Value& o, const std::string& key) {
  const rapidjson::Value* labels = json::FindPath(o, {"metadata", "labels"});
  return labels == nullptr ? "" : json::GetString(*labels, key);
}

// Runs kubectl with `docs` as standard input, in batches (kubectl sends one request per
// document; a batch keeps one failure from hiding which objects were written).
absl::Status KubectlBatches(const std::string& context, const std::vector<std::string>& args,
                            const std::vector<std::string>& docs) {
  constexpr size_t kBatch = 250;
  for (size_t i = 0; i < docs.size(); i += kBatch) {
    std::string yaml;
    for (size_t j = i; j < std::min(docs.size(), i + kBatch); ++j) {
      absl::StrAppend(&yaml, docs[j], "---\n");
    }
    absl::StatusOr<std::string> out = Kubectl(context, args, yaml);
    if (!out.ok()) return out.status();
  }
  return absl::OkStatus();
}

}  // namespace

std::string CheckReport::Summary() const {
  std::string s = StrCat("checked ", federated, " federated objects, ", copies, " member copies, ",
                         deleted, " deletions, ", unmanaged,
                         " unmanaged objects; uids sampled for ", uid_samples, " copies;");
  for (const auto& [member, n] : creations) {
    absl::StrAppend(&s, " ", member, ": ", n, " creations (audit log) for ", placed.at(member),
                    " copies ever placed;");
  }
  if (problems.empty()) {
    absl::StrAppend(&s, " no problems");
  } else {
    absl::StrAppend(&s, " ", problems.size(), " problems, first ones:");
    for (size_t i = 0; i < problems.size() && i < 20; ++i) {
      absl::StrAppend(&s, "\n  ", problems[i]);
    }
  }
  return s;
}

FederationCheck::FederationCheck(std::string ns, std::vector<std::string> members)
    : ns_(std::move(ns)), members_(std::move(members)) {
  for (const std::string& m : members_) {
    absl::Status there = WaitFor(StrCat(kRootCa, " in ", m, "/", ns_), absl::Minutes(2), [&] {
      return Kubectl(m, {"get", "configmap", kRootCa, "-n", ns_}).status();
    });
    if (!there.ok()) ADD_FAILURE() << there;
  }
}

std::string FederationCheck::Yaml(const std::string& name, const DesiredConfigMap& d) const {
  std::string yaml = StrCat(
      "apiVersion: types.kubefed.io/v1beta1\nkind: FederatedConfigMap\nmetadata:\n  name: ", name,
      "\n  namespace: ", ns_, "\nspec:\n  template:\n    data:\n      version: \"", d.version,
      "\"\n      region: any\n      name: ", name, "\n  placement:\n    clusters:\n");
  if (d.clusters.empty()) {
    yaml = StrCat(yaml.substr(0, yaml.size() - 1), " []\n");
  }
  for (const std::string& c : d.clusters) absl::StrAppend(&yaml, "    - name: ", c, "\n");
  if (!d.region.empty()) {
    absl::StrAppend(&yaml, "  overrides:\n");
    for (const auto& [cluster, region] : d.region) {
      absl::StrAppend(&yaml, "  - clusterName: ", cluster,
                      "\n    clusterOverrides:\n    - path: /data/region\n      value: ", region,
                      "\n");
    }
  }
  return yaml;
}

absl::Status FederationCheck::Desire(const std::map<std::string, DesiredConfigMap>& batch) {
  std::vector<std::string> docs;
  for (const auto& [name, d] : batch) {
    desired_[name] = d;
    for (const std::string& c : d.clusters) ever_placed_[c].insert(name);
    docs.push_back(Yaml(name, d));
  }
  // Server-side apply: creates new objects and updates existing ones (custom resources need a
  // resourceVersion for a plain update) without a last-applied annotation.
  return KubectlBatches(Clusters().host, {"apply", "--server-side", "--force-conflicts", "-f", "-"},
                        docs);
}

absl::Status FederationCheck::Delete(const std::vector<std::string>& names) {
  if (names.empty()) return absl::OkStatus();
  std::vector<std::string> args = {"delete", "federatedconfigmap", "-n", ns_, "--wait=false"};
  for (const std::string& n : names) {
    desired_.erase(n);
    deleted_.insert(n);
    args.push_back(n);
  }
  return Kubectl(Clusters().host, args).status();
}

absl::Status FederationCheck::AddUnmanaged(const std::string& member, const std::string& name) {
  absl::Status created =
      Apply(member, StrCat("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ", name,
                           "\n  namespace: ", ns_, "\ndata:\n  owner: the-test\n"));
  if (!created.ok()) return created;
  absl::StatusOr<rapidjson::Document> cm =
      KubectlJson(member, {"get", "configmap", name, "-n", ns_});
  if (!cm.ok()) return cm.status();
  unmanaged_[Key(member, name)] = {json::GetString((*cm)["metadata"], "uid"),
                                   json::GetString((*cm)["metadata"], "resourceVersion"),
                                   json::Serialize((*cm)["data"])};
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int>> FederationCheck::AuditedCreations(
    const std::string& member) const {
  const std::string path = StrCat(Clusters().run_dir, "/", member, "/audit.log");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("no audit log ", path));
  std::map<std::string, int> created;
  const std::string ns_field = StrCat("\"namespace\":\"", ns_, "\"");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(ns_field) == std::string::npos) continue;  // most lines: other namespaces
    absl::StatusOr<rapidjson::Document> event = json::Parse(line);
    if (!event.ok() || !event->IsObject()) continue;  // a line being written
    const rapidjson::Value* ref = json::Find(*event, "objectRef");
    const rapidjson::Value* code = json::FindPath(*event, {"responseStatus", "code"});
    if (ref == nullptr || code == nullptr || !code->IsInt() || code->GetInt() != 201 ||
        json::GetString(*event, "verb") != "create" ||
        json::GetString(*ref, "resource") != "configmaps" ||
        json::GetString(*ref, "namespace") != ns_ ||
        absl::StrContains(json::GetString(*event, "requestURI"), "dryRun")) {
      continue;
    }
    ++created[json::GetString(*ref, "name")];
  }
  return created;
}

void FederationCheck::RecordUid(const std::string& member, const std::string& name,
                                const std::string& uid) {
  auto [it, inserted] = first_uid_.emplace(Key(member, name), uid);
  if (!inserted && it->second != uid) second_uid_.emplace(Key(member, name), uid);
}

std::map<std::string, int> FederationCheck::Observe() {
  std::map<std::string, int> seen;
  for (const std::string& m : members_) {
    absl::StatusOr<rapidjson::Document> list =
        KubectlJson(m, {"get", "configmaps", "-n", ns_, "--request-timeout=5s"});
    if (!list.ok() || !(*list)["items"].IsArray()) continue;
    for (const rapidjson::Value& cm : (*list)["items"].GetArray()) {
      if (Labels(cm, "kubefed.io/managed") != "true") continue;
      RecordUid(m, json::GetString(cm["metadata"], "name"), json::GetString(cm["metadata"], "uid"));
      ++seen[m];
    }
  }
  return seen;
}

CheckReport FederationCheck::CheckOnce() {
  CheckReport r;
  auto problem = [&](std::string p) { r.problems.push_back(std::move(p)); };

  // Host: desired objects with their status; deleted objects gone.
  absl::StatusOr<rapidjson::Document> host =
      KubectlJson(Clusters().host, {"get", "federatedconfigmaps", "-n", ns_});
  if (!host.ok()) {
    problem(StrCat("cannot list the host's federated objects: ", host.status().message()));
    return r;
  }
  std::map<std::string, const rapidjson::Value*> fed;
  for (const rapidjson::Value& o : (*host)["items"].GetArray()) {
    fed[json::GetString(o["metadata"], "name")] = &o;
  }
  for (const auto& [name, d] : desired_) {
    ++r.federated;
    auto it = fed.find(name);
    if (it == fed.end()) {
      problem(StrCat("federated ", name, " is missing in the host"));
      continue;
    }
    const rapidjson::Value& o = *it->second;
    if (json::Find(o["metadata"], "deletionTimestamp") != nullptr) {
      problem(StrCat("federated ", name, " is being deleted"));
    }
    const rapidjson::Value* version = json::FindPath(o, {"spec", "template", "data"});
    if (version == nullptr || json::GetString(*version, "version") != d.version) {
      problem(StrCat("federated ", name, " lost its update: template version is not ", d.version));
    }
    const rapidjson::Value* gen = json::FindPath(o, {"metadata", "generation"});
    const rapidjson::Value* observed = json::FindPath(o, {"status", "observedGeneration"});
    if (gen == nullptr || observed == nullptr || !(*gen == *observed)) {
      problem(StrCat("federated ", name, ": status is not for the latest generation"));
      continue;
    }
    const rapidjson::Value* c = PropagationCondition(o);
    if (c == nullptr || json::GetString(*c, "status") != "True" ||
        !json::GetString(*c, "reason").empty()) {
      problem(StrCat("federated ", name, ": Propagation is not True: ",
                     json::Serialize(o.HasMember("status") ? o["status"] : o)));
      continue;
    }
    std::set<std::string> in_status;
    const rapidjson::Value* clusters = json::FindPath(o, {"status", "clusters"});
    if (clusters != nullptr && clusters->IsArray()) {
      for (const rapidjson::Value& cs : clusters->GetArray()) {
        in_status.insert(json::GetString(cs, "name"));
        if (!json::GetString(cs, "status").empty()) {
          problem(StrCat("federated ", name, ": cluster ", json::GetString(cs, "name"),
                         " has status ", json::GetString(cs, "status")));
        }
      }
    }
    if (in_status != std::set<std::string>(d.clusters.begin(), d.clusters.end())) {
      problem(StrCat("federated ", name, ": status.clusters [", absl::StrJoin(in_status, ","),
                     "] is not the placement [", absl::StrJoin(d.clusters, ","), "]"));
    }
  }
  for (const std::string& name : deleted_) {
    ++r.deleted;
    if (fed.count(name)) problem(StrCat("deleted federated ", name, " is still in the host"));
  }
  for (const auto& [name, o] : fed) {
    if (!desired_.count(name) && !deleted_.count(name)) {
      problem(StrCat("federated ", name, " was never created by the test"));
    }
  }

  // Members: the copies, nothing extra, unmanaged objects untouched.
  for (const std::string& m : members_) {
    absl::StatusOr<rapidjson::Document> list =
        KubectlJson(m, {"get", "configmaps", "-n", ns_, "--request-timeout=10s"});
    if (!list.ok()) {
      problem(StrCat("cannot list ", m, ": ", list.status().message()));
      continue;
    }
    std::set<std::string> present;
    for (const rapidjson::Value& cm : (*list)["items"].GetArray()) {
      const std::string name = json::GetString(cm["metadata"], "name");
      const std::string uid = json::GetString(cm["metadata"], "uid");
      present.insert(name);
      if (name == kRootCa) continue;
      auto u = unmanaged_.find(Key(m, name));
      if (u != unmanaged_.end()) {
        ++r.unmanaged;
        if (uid != u->second.uid ||
            json::GetString(cm["metadata"], "resourceVersion") != u->second.resource_version ||
            json::Serialize(cm["data"]) != u->second.data ||
            !Labels(cm, "kubefed.io/managed").empty()) {
          problem(StrCat("unmanaged ", m, "/", name, " was touched: ", json::Serialize(cm)));
        }
        continue;
      }
      RecordUid(m, name, uid);
      auto d = desired_.find(name);
      if (d == desired_.end() || !Placed(d->second, m)) {
        problem(StrCat(m, " holds ", name, ", which is ",
                       d == desired_.end() ? (deleted_.count(name) ? "deleted" : "unknown")
                                           : "not placed there"));
        continue;
      }
      ++r.copies;
      if (Labels(cm, "kubefed.io/managed") != "true") {
        problem(StrCat(m, "/", name, " lacks kubefed.io/managed=true"));
      }
      const rapidjson::Value* data = json::Find(cm, "data");
      const std::string version = data ? json::GetString(*data, "version") : "";
      const std::string region = data ? json::GetString(*data, "region") : "";
      if (version != d->second.version || region != ExpectedRegion(d->second, m)) {
        problem(StrCat(m, "/", name, " has version ", version, " region ", region, ", want ",
                       d->second.version, " ", ExpectedRegion(d->second, m)));
      }
    }
    for (const auto& [name, d] : desired_) {
      if (Placed(d, m) && !present.count(name)) problem(StrCat(m, " lacks ", name));
    }
    for (const auto& [key, u] : unmanaged_) {
      if (absl::StartsWith(key, m + "/") && !present.count(key.substr(m.size() + 1))) {
        problem(StrCat("unmanaged ", key, " was deleted"));
      }
    }
  }

  // Nothing created twice.
  r.uid_samples = static_cast<int>(first_uid_.size());
  for (const auto& [key, uid] : second_uid_) {
    problem(StrCat(key, " was created twice: uid ", first_uid_[key], " then ", uid));
  }
  for (const std::string& m : members_) {
    absl::StatusOr<std::map<std::string, int>> created = AuditedCreations(m);
    if (!created.ok()) {
      problem(StrCat("cannot read ", m, "'s audit log: ", created.status().message()));
      continue;
    }
    int64_t by_kfed = 0;
    for (const auto& [name, n] : *created) {
      if (name == kRootCa || unmanaged_.count(Key(m, name))) continue;  // not kfed's
      by_kfed += n;
      if (n > 1) problem(StrCat(m, "/", name, " was created ", n, " times"));
      if (!ever_placed_[m].count(name)) {
        problem(StrCat(m, "/", name, " was created although never placed there"));
      }
    }
    r.creations[m] = by_kfed;
    r.placed[m] = static_cast<int64_t>(ever_placed_[m].size());
  }
  return r;
}

CheckReport FederationCheck::WaitConverged(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  CheckReport r;
  while (true) {
    r = CheckOnce();
    if (r.problems.empty() || absl::Now() >= deadline) return r;
    absl::SleepFor(absl::Seconds(2));
  }
}

}  // namespace kfed::e2e
