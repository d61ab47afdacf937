// The status model behind the status API and the dashboard: member clusters and federated
// objects with their per-cluster state, as the controller manager last published them, with a
// revision that grows by one on every change, a bounded history of recent changes (so a
// watch can resume) and watchers with bounded queues.
//
// Publishers are the controller's threads (cluster controller, sync controllers). A publish
// takes one short mutex hold: it compares with what is stored (no change: no revision, no
// event), appends to the history and to each watcher's queue, and returns. It never does I/O
// and never waits for a reader: a watcher whose queue is full is dropped (its memory freed,
// its next read OUT_OF_RANGE) and only that watcher's client has to re-list.
//
// Readers (the gRPC service, the HTTP API) copy immutable snapshots out under the same short
// hold and build responses without it. GetObject's rendered object is computed on demand by
// a per-type Renderer the sync controller registers, called with no store lock held.
#ifndef KFED_STATUS_STORE_H_
#define KFED_STATUS_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "status/redact.h"
#include "status/status.pb.h"

namespace kfed::status {

// ClusterState.state values.
inline constexpr absl::string_view kStatePropagated = "Propagated";
inline constexpr absl::string_view kStatePending = "Pending";
inline constexpr absl::string_view kStateError = "Error";
inline constexpr absl::string_view kStateDeleting = "Deleting";

// Cluster.health values.
inline constexpr absl::string_view kHealthReady = "Ready";
inline constexpr absl::string_view kHealthNotReady = "NotReady";
inline constexpr absl::string_view kHealthOffline = "Offline";
inline constexpr absl::string_view kHealthUnknown = "Unknown";

// The message of the OUT_OF_RANGE status a watch ends with when its client fell behind.
inline constexpr absl::string_view kFellBehindMessage =
    "fell behind: list again and watch from the list's revision";

struct StoreOptions {
  // Changes kept for resuming watches; a resume point older than these is OUT_OF_RANGE.
  size_t history_size = 4096;
  // Changes queued for one watcher beyond its initial state; one more drops the watcher.
  size_t watcher_queue_size = 1024;
  // The revision before the first change. -1: the clock's Unix time in microseconds, so a
  // restarted controller manager starts above the revisions its predecessor handed out and a
  // client resuming from one of those gets OUT_OF_RANGE instead of a wrong resume.
  int64_t initial_revision = -1;
};

// What GetObject shows for one cluster (see GetObjectResponse).
struct RenderResult {
  std::string rendered_json;
  std::string overrides_json;
  std::string render_error;
};

// Renders a federated object of one type for one cluster from the controller's caches.
// Called on a reader's thread with no store lock held; must not block on I/O. NOT_FOUND when
// the object is not in the caches.
using Renderer = std::function<absl::StatusOr<RenderResult>(
    const std::string& ns, const std::string& name, const std::string& cluster)>;

// What the status API needs to know of a type beyond its objects: the federated resource a
// caller must be allowed to `get` (status/access.h), and what GetObject redacts
// (status/redact.h).
struct TypeInfo {
  std::string federated_group;     // "types.kubefed.io"
  std::string federated_resource;  // "federatedsecrets"
  bool namespaced = true;
  Sensitivity sensitivity = Sensitivity::kNone;
};

using EventPtr = std::shared_ptr<const v1::WatchEvent>;

// One client's view of the changes. Created by StatusStore::Watch; thread-safe.
class Watcher {
 public:
  Watcher(size_t queue_size, int64_t revision, std::vector<EventPtr> initial,
          std::function<void()> on_ready);

  // The next event without waiting: nullptr when none is queued; OUT_OF_RANGE
  // (kFellBehindMessage) once the watcher was dropped for falling behind; CANCELLED when the
  // store closed.
  absl::StatusOr<EventPtr> TryNext() ABSL_LOCKS_EXCLUDED(mu_);
  // When nothing is queued: the revision everything up to which was delivered (for a
  // BOOKMARK); -1 while events are queued.
  int64_t CaughtUpRevision() const ABSL_LOCKS_EXCLUDED(mu_);
  // Events queued now (initial state included).
  size_t Queued() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class StatusStore;
  enum class State { kOpen, kFellBehind, kClosed };
  // Called by the store under its lock. Returns false when the watcher is (now) dropped.
  bool Push(const EventPtr& event) ABSL_LOCKS_EXCLUDED(mu_);
  void Close() ABSL_LOCKS_EXCLUDED(mu_);
  void NotifyReady() const;

  const size_t queue_size_;
  const std::function<void()> on_ready_;
  mutable absl::Mutex mu_;
  std::deque<EventPtr> queue_ ABSL_GUARDED_BY(mu_);
  size_t initial_left_ ABSL_GUARDED_BY(mu_);  // initial-state events still at the front
  int64_t revision_ ABSL_GUARDED_BY(mu_);     // the highest revision queued so far
  State state_ ABSL_GUARDED_BY(mu_) = State::kOpen;
};

// Events after a revision, and the revision they bring a client up to.
struct EventBatch {
  std::vector<EventPtr> events;
  int64_t revision = 0;
};

class StatusStore {
 public:
  explicit StatusStore(StoreOptions options = {}, Clock& clock = Clock::Real());
  ~StatusStore();
  StatusStore(const StatusStore&) = delete;
  StatusStore& operator=(const StatusStore&) = delete;

  // --- Publishing (controller threads). Each takes one short lock hold and never waits for
  // a reader. A publish that changes nothing makes no revision and no event.
  // `last_transition_unix_ms` left 0 (on the cluster, on each ClusterState) is derived: kept
  // from the stored entry while health/state and reason stay the same, else now. An object's
  // `revision` is set by the store; its clusters are sorted by name.
  void UpsertCluster(v1::Cluster cluster) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveCluster(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  void UpsertObject(v1::FederatedObject object) ABSL_LOCKS_EXCLUDED(mu_);
  // Uses the ref's type, namespace and name.
  void RemoveObject(const v1::ObjectRef& ref) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes every object of a type (its sync controller stopped).
  void RemoveType(absl::string_view type) ABSL_LOCKS_EXCLUDED(mu_);

  // ReplicaSchedulingPreferences and their distribution (the scheduling controller). Kept
  // beside the revisioned state: they make no revision and no watch event (the distribution
  // follows member replica counts, which move often); readers list them. Clusters are sorted
  // by name. Ignored after Close().
  void UpsertSchedulingPreference(v1::SchedulingPreference preference) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveSchedulingPreference(absl::string_view ns, absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Multi-Cluster Services (the MCS controller): one entry per exported service, and every
  // member's part. Kept beside the revisioned state like the scheduling preferences (endpoint
  // counts move often): no revision, no watch event; readers list them. Ignored after Close().
  // Implemented in store_mcs.cc.
  void UpsertMultiClusterService(v1::MultiClusterService service) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveMultiClusterService(absl::string_view ns, absl::string_view name)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces every member's MCS state (sorted by cluster here).
  void SetMcsMembers(std::vector<v1::McsMember> members) ABSL_LOCKS_EXCLUDED(mu_);

  // Registers a type with its renderer (replacing one). Objects of a type that is not
  // registered are shown to nobody. GetObject redacts what the renderer returns by the
  // type's sensitivity, so the store never hands out secret material. RemoveRenderer returns
  // once no call of the old renderer is running, so its owner may be destroyed after; the
  // type's TypeInfo stays known (FindType).
  void SetRenderer(absl::string_view type, TypeInfo info, Renderer renderer)
      ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveRenderer(absl::string_view type) ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<TypeInfo> FindType(absl::string_view type) const ABSL_LOCKS_EXCLUDED(mu_);

  // --- Reading (any thread).
  int64_t Revision() const ABSL_LOCKS_EXCLUDED(mu_);
  v1::ListClustersResponse ListClusters() const ABSL_LOCKS_EXCLUDED(mu_);
  // Filters: type and namespace match exactly; state matches objects with at least one
  // cluster in that state. Sorted by type, namespace, name.
  v1::ListObjectsResponse ListObjects(const v1::ListObjectsRequest& request) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Sorted by namespace and name; `namespace` "" lists every namespace. Who may see which is
  // the caller's business (AccessControl::MaySeeSchedulingPreferences).
  v1::ListSchedulingPreferencesResponse ListSchedulingPreferences(
      const v1::ListSchedulingPreferencesRequest& request) const ABSL_LOCKS_EXCLUDED(mu_);
  // Sorted by namespace and name, with every member's MCS state; `namespace` "" lists every
  // namespace. Who may see which is the caller's business (VisibleMultiClusterServices).
  v1::ListMultiClusterServicesResponse ListMultiClusterServices(
      const v1::ListMultiClusterServicesRequest& request) const ABSL_LOCKS_EXCLUDED(mu_);
  // NOT_FOUND when the object is unknown. With a cluster, renders through the type's
  // renderer (no store lock held).
  absl::StatusOr<v1::GetObjectResponse> GetObject(const v1::GetObjectRequest& request) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // The changes after `revision` from the history, without waiting. 0: the current state as
  // ADDED events (clusters, then objects) and a BOOKMARK. OUT_OF_RANGE when `revision` is
  // older than the history (or not one this store handed out).
  absl::StatusOr<EventBatch> EventsAfter(int64_t revision) const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until the revision is past `revision`, `timeout` passes (real time) or Close().
  // Returns whether the revision moved past. The lock is released while waiting.
  bool AwaitRevisionAfter(int64_t revision, absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);

  // Starts a watch from `resume_from` (see WatchRequest): its queue starts with the changes
  // after it (0: the current state) and a BOOKMARK, then receives every change. `on_ready`
  // is called with no store lock held, on the publisher's thread, whenever events were queued
  // or the watcher was dropped or closed; it must be quick and must not block. OUT_OF_RANGE
  // as EventsAfter.
  absl::StatusOr<std::shared_ptr<Watcher>> Watch(int64_t resume_from,
                                                 std::function<void()> on_ready)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Stops delivering to `watcher`.
  void Unwatch(const Watcher* watcher) ABSL_LOCKS_EXCLUDED(mu_);
  // Watchers currently receiving changes (dropped ones are not counted).
  size_t WatcherCount() const ABSL_LOCKS_EXCLUDED(mu_);
  // Events in the history (bounded by history_size).
  size_t HistorySize() const ABSL_LOCKS_EXCLUDED(mu_);

  // Ends every watch (CANCELLED) and wakes every AwaitRevisionAfter. Later watches fail.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using ObjectKey = std::tuple<std::string, std::string, std::string>;  // type, ns, name
  // A federated object as the store keeps it: serialized (a few hundred bytes, against ~1 KB
  // as a message with a heap string per field), parsed again for each reader.
  struct StoredObject {
    std::string bytes;     // the FederatedObject without its revision
    int64_t revision = 0;  // its revision
  };
  static StoredObject Store(const v1::FederatedObject& object);
  static v1::FederatedObject Load(const StoredObject& stored);
  struct RendererSlot {
    Sensitivity sensitivity = Sensitivity::kNone;  // immutable once published
    absl::Mutex mu;  // held (shared) while the renderer runs
    Renderer renderer ABSL_GUARDED_BY(mu);
  };

  // Appends an event with the next revision and queues it for every watcher. Returns the
  // watchers to notify once the lock is released.
  std::vector<std::shared_ptr<Watcher>> PublishLocked(v1::WatchEvent::Type type,
                                                      const v1::Cluster* cluster,
                                                      const v1::FederatedObject* object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckResumeLocked(int64_t revision) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<EventPtr> EventsAfterLocked(int64_t revision) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // The revision of the oldest event in the history (revision_ + 1 when it is empty).
  int64_t HistoryFirstLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  int64_t NowMs() const;
  static void Notify(const std::vector<std::shared_ptr<Watcher>>& watchers);

  const StoreOptions options_;
  Clock& clock_;

  mutable absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<const v1::Cluster>> clusters_ ABSL_GUARDED_BY(mu_);
  std::map<ObjectKey, StoredObject> objects_ ABSL_GUARDED_BY(mu_);
  // By (namespace, name).
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const v1::SchedulingPreference>>
      preferences_ ABSL_GUARDED_BY(mu_);
  // By (namespace, name).
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const v1::MultiClusterService>>
      mcs_services_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::vector<v1::McsMember>> mcs_members_ ABSL_GUARDED_BY(mu_);
  // The last changes' events, serialized (consecutive revisions, the last one revision_).
  std::deque<std::string> history_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<RendererSlot>> renderers_ ABSL_GUARDED_BY(mu_);
  // Kept after RemoveRenderer, so that the DELETED events of a stopping type still reach
  // the callers who saw its objects.
  std::map<std::string, TypeInfo, std::less<>> types_ ABSL_GUARDED_BY(mu_);
};

// Whether a string is one of the ClusterState.state values.
bool IsClusterState(absl::string_view state);

}  // namespace kfed::status

#endif  // KFED_STATUS_STORE_H_
