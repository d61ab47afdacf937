// What a controller keeps per member cluster (the member's client and what it built on it:
// informers, state), kept in step with the ClusterRegistry by one rule, written once for the
// ClusterSet and Multi-Cluster Services controllers:
//   - a member that is gone or has no client (not joined, credentials unreadable) has no entry;
//   - a member seen for the first time, or whose client changed (new credentials or endpoint:
//     MemberCluster::client_generation moved), gets a fresh entry from `make`; the old entry is
//     handed back so that its owner stops its informers outside its own lock;
//   - otherwise the entry stays as it is.
//
// Not thread-safe: the table is the owner's, guarded by the owner's mutex. Pure apart from
// `make`, which runs under that lock and must only construct (not start) what it builds.
#ifndef KFED_CONTROLLER_MEMBER_TABLE_H_
#define KFED_CONTROLLER_MEMBER_TABLE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "controller/cluster_registry.h"

namespace kfed::controller {

// Entry needs `uint64_t client_generation` and `std::shared_ptr<kube::Client> client`.
template <typename Entry>
using MemberTable = std::map<std::string, std::shared_ptr<Entry>>;

template <typename Entry>
struct MemberTableChange {
  // The entry that left the table (member gone or unusable, or replaced): stop it, outside
  // the owner's lock. nullptr when none left.
  std::shared_ptr<Entry> removed;
  // The member's entry now; nullptr when the member is not usable.
  std::shared_ptr<Entry> current;
  // `current` was made by this call (first sight or a new client): start it.
  bool created = false;
};

// Applies the rule above for `cluster`, whose registry view is `member` (nullptr: not in the
// registry). `make()` returns a new entry; its client and client_generation are set here.
template <typename Entry, typename Make>
MemberTableChange<Entry> SyncMemberEntry(MemberTable<Entry>& table, const std::string& cluster,
                                         const MemberCluster* member, Make make) {
  MemberTableChange<Entry> change;
  auto it = table.find(cluster);
  const bool usable = member != nullptr && member->client != nullptr;
  if (!usable) {
    if (it != table.end()) {
      change.removed = std::move(it->second);
      table.erase(it);
    }
    return change;
  }
  if (it == table.end() || it->second->client_generation != member->client_generation) {
    std::shared_ptr<Entry> fresh = make();
    fresh->client = member->client;
    fresh->client_generation = member->client_generation;
    if (it != table.end()) {
      change.removed = std::move(it->second);
      it->second = fresh;
    } else {
      table.emplace(cluster, fresh);
    }
    change.created = true;
    change.current = std::move(fresh);
    return change;
  }
  change.current = it->second;
  return change;
}

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_MEMBER_TABLE_H_
