// An in-memory Client for controller unit tests: a single object store with
// resourceVersions, uids, generations, finalizers, label/field selectors, paging and
// watches, so code under test sees API-server semantics without a server.
//
// Simplifications (documented so tests do not rely on them): strategic merge and
// server-side apply behave as JSON merge patch (apply creates missing objects, but field
// ownership and apply conflicts are not modelled); every resource is treated as having a
// status subresource (Update keeps the stored status, UpdateStatus changes only status);
// namespaces need not exist; no admission, defaulting or validation beyond names.
#ifndef KFED_KUBE_CLIENT_FAKE_H_
#define KFED_KUBE_CLIENT_FAKE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "kube/client.h"

namespace kfed::kube {

class FakeClient : public Client {
 public:
  explicit FakeClient(Clock& clock = Clock::Real());

  absl::StatusOr<ObjectPtr> Get(const GroupVersionResource& gvr, absl::string_view ns,
                                absl::string_view name) override;
  absl::StatusOr<ObjectList> List(const GroupVersionResource& gvr, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::StatusOr<ObjectPtr> Create(const GroupVersionResource& gvr, absl::string_view ns,
                                   const rapidjson::Value& object,
                                   const WriteOptions& options) override;
  absl::StatusOr<ObjectPtr> Update(const GroupVersionResource& gvr, absl::string_view ns,
                                   const rapidjson::Value& object,
                                   const WriteOptions& options) override;
  absl::StatusOr<ObjectPtr> UpdateStatus(const GroupVersionResource& gvr, absl::string_view ns,
                                         const rapidjson::Value& object,
                                         const WriteOptions& options) override;
  absl::StatusOr<ObjectPtr> Patch(const GroupVersionResource& gvr, absl::string_view ns,
                                  absl::string_view name, PatchType type, absl::string_view patch,
                                  const PatchOptions& options,
                                  absl::string_view subresource = "") override;
  absl::Status Delete(const GroupVersionResource& gvr, absl::string_view ns,
                      absl::string_view name, const DeleteOptions& options) override;
  absl::Status DeleteCollection(const GroupVersionResource& gvr, absl::string_view ns,
                                const DeleteOptions& options,
                                const ListOptions& list_options) override;
  // Replays current objects as ADDED when resource_version is "" or "0"; from an older
  // version than the compaction point, sends an ERROR 410 event and returns.
  absl::Status Watch(const GroupVersionResource& gvr, absl::string_view ns,
                     const WatchOptions& options, const WatchHandler& handler,
                     const CancellationToken* stop) override;
  absl::StatusOr<std::string> GetRaw(absl::string_view path) override;

  // --- test hooks ---
  // The next `count` calls of `verb` ("get", "list", "create", "update", "updatestatus",
  // "patch", "delete", "deletecollection", "watch") on `resource` ("" = any) fail with
  // `status`.
  void InjectError(absl::string_view verb, absl::string_view resource, absl::Status status,
                   int count = 1);
  void ClearInjectedErrors();
  // Serves `body` for GetRaw(path).
  void SetRaw(absl::string_view path, absl::string_view body);
  // Answers GetRaw(path) by calling `handler` on the caller's thread with no lock held (it
  // may block: a member that does not answer; or fail: one that refuses connections). Wins
  // over SetRaw; a null handler removes it.
  using RawHandler = std::function<absl::StatusOr<std::string>()>;
  void SetRawHandler(absl::string_view path, RawHandler handler);
  // Forgets watch history before the current resourceVersion: watches resuming from older
  // versions get 410 Gone (like etcd compaction).
  void Compact();
  // Ends every open watch (as a server timeout would): they return OK.
  void CloseWatches();
  // Sends a BOOKMARK with the current resourceVersion to open watches.
  void SendBookmarks();
  // Number of open watches.
  int ActiveWatches() const;
  int64_t CurrentResourceVersion() const;

 private:
  struct Key {
    std::string resource;  // "group/resource"
    std::string ns;
    std::string name;
    bool operator<(const Key& o) const {
      return std::tie(resource, ns, name) < std::tie(o.resource, o.ns, o.name);
    }
  };
  struct Event {
    int64_t rv;
    std::string resource;
    WatchEventType type;
    ObjectPtr object;
  };

  absl::Status TakeInjectedLocked(absl::string_view verb, const GroupVersionResource& gvr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `doc` (metadata already set) as the new version of `key` and logs the event.
  ObjectPtr CommitLocked(const Key& key, rapidjson::Document& doc, WatchEventType type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ObjectPtr> CreateLocked(const GroupVersionResource& gvr, absl::string_view ns,
                                         const rapidjson::Value& object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ObjectPtr> ReplaceLocked(const GroupVersionResource& gvr, const Key& key,
                                          const rapidjson::Value& object, bool status_only,
                                          bool check_rv) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DeleteLocked(const GroupVersionResource& gvr, const Key& key,
                            const DeleteOptions& options) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string Timestamp() const;

  Clock& clock_;
  mutable absl::Mutex mu_;
  std::map<Key, ObjectPtr> objects_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 1000;
  int64_t compacted_rv_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t uid_counter_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t watch_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t bookmark_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int active_watches_ ABSL_GUARDED_BY(mu_) = 0;
  struct Injected {
    std::string verb, resource;
    absl::Status status;
    int count;
  };
  std::vector<Injected> injected_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> raw_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<const RawHandler>> raw_handlers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_CLIENT_FAKE_H_
