// A list+watch cache of one resource (per client, namespace, label and field selector),
// with indexers and event handlers: client-go's SharedIndexInformer, simplified.
//
// Threads (both owned by the informer, joined by Stop()):
//   - the reflector lists (paged), applies the list to the store, then runs a ResumingWatch
//     from the list's resourceVersion and applies events; on 410 Gone it relists, on other
//     errors it backs off (800ms..30s) and relists;
//   - the dispatcher calls the handlers, in event order, with no lock held, and emits the
//     periodic resync.
// The store is updated before the matching notification is queued, so a handler reading
// the cache sees state at least as new as its event. Handlers never see a half-updated
// object.
//
// Memory: the store keeps each object as its compact JSON text (managedFields dropped),
// compressed with zstd against a dictionary of the informer's first objects (TextCodec), not
// as a RapidJSON document, which takes 3-4x the text (docs/benchmarks.md, "kube client").
// Every read (Get, List, ByIndex) decodes and parses a new immutable snapshot for the
// caller, a few microseconds per object: read once per reconcile and keep the snapshot
// rather than reading again in a loop, and use Keys() when only names are needed.
#ifndef KFED_KUBE_INFORMER_H_
#define KFED_KUBE_INFORMER_H_

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "kube/client.h"
#include "kube/text_codec.h"
#include "kube/text_map.h"

namespace kfed::kube {

struct EventHandlers {
  std::function<void(const ObjectPtr& object)> on_add;
  // On a watch MODIFIED, on a relist that found a changed object, and on resync (then
  // old == new).
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  // `object` is the last state known: the DELETED event's object, or for objects that
  // vanished while the watch was down, the last cached version.
  std::function<void(const ObjectPtr& object)> on_delete;
};

// Returns the index values of an object (e.g. its namespace, a label value).
using IndexFunc = std::function<std::vector<std::string>(const rapidjson::Value& object)>;
// An index over metadata.labels[key] (objects without the label are not indexed).
IndexFunc LabelIndex(std::string key);

struct InformerOptions {
  GroupVersionResource gvr;
  std::string ns;  // "" : all namespaces
  std::string label_selector;
  std::string field_selector;
  int64_t page_size = 500;  // list limit; 0: unpaged
  absl::Duration resync_period = absl::ZeroDuration();  // zero: no resync
  // Watches are asked to end after roughly this long and are resumed at once; keeps
  // connections fresh through load balancers (client-go uses 5-10 minutes).
  absl::Duration watch_timeout = absl::Minutes(5);
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  // metadata.managedFields is dropped from cached objects (as client-go users do with a
  // transform): nothing in kfed reads it, it is often a third of an object, and an update
  // that omits it keeps the server's. Set to keep it.
  bool keep_managed_fields = false;
  // Cached texts are compressed against a dictionary of the first this-many objects
  // (TextCodec); 0: stored uncompressed.
  size_t compression_samples = 16;
};

class Informer {
 public:
  // ByIndex(kNamespaceIndex, ns) is List(ns): always there, served by a scan of the keys
  // rather than a stored index (a stored one held a second copy of every key).
  static constexpr char kNamespaceIndex[] = "namespace";

  Informer(Client& client, InformerOptions options, Clock& clock = Clock::Real());
  ~Informer();  // Stop()s
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start() only.
  void AddEventHandler(EventHandlers handlers);
  // Before Start() only. `callback` runs once on the dispatcher, in order with the handlers:
  // after the first list's on_add calls, when HasSynced() has just turned true. Lets whoever
  // reports readiness learn of it without polling. Null: nothing.
  void AddSyncedCallback(std::function<void()> callback);
  void AddIndexer(const std::string& name, IndexFunc func) ABSL_LOCKS_EXCLUDED(mu_);

  void Start();
  // Stops both threads and joins them. Idempotent. Handlers are not called after it returns.
  void Stop();

  // True once the first list has been stored and its on_add calls made.
  bool HasSynced() const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits (real time) until synced; false on timeout or Stop().
  bool WaitForSync(absl::Duration timeout) const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits on `clock` until synced (true), `deadline`, Stop() or `cancel` (false); no polling.
  bool WaitForSync(Clock& clock, absl::Time deadline, const CancellationToken& cancel) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Cache reads. Thread-safe; return snapshots parsed for the caller (nullptr when absent).
  ObjectPtr Get(absl::string_view ns, absl::string_view name) const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<ObjectPtr> List(absl::string_view ns = "") const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<ObjectPtr> ByIndex(absl::string_view index, absl::string_view value) const
      ABSL_LOCKS_EXCLUDED(mu_);
  size_t Size() const ABSL_LOCKS_EXCLUDED(mu_);
  // The keys ("namespace/name", or "name") of the cached objects, in `ns` or all; no parsing.
  std::vector<std::string> Keys(absl::string_view ns = "") const ABSL_LOCKS_EXCLUDED(mu_);
  // Heap bytes the cache holds for its objects: their text and keys (benchmarks, metrics).
  size_t CachedBytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // The resourceVersion of the last list or event applied.
  std::string LastResourceVersion() const ABSL_LOCKS_EXCLUDED(mu_);
  // Lists done so far (1 after the initial sync; more after 410s or errors).
  int Lists() const ABSL_LOCKS_EXCLUDED(mu_);
  // The error of the last list, OK once a list succeeded: why a cache has not synced (e.g.
  // the server forbids listing), for status messages.
  absl::Status LastListError() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum class Kind { kAdd, kUpdate, kDelete, kSynced };
  struct Notification {
    Kind kind;
    ObjectPtr old_object;
    ObjectPtr object;
  };

  void ReflectorLoop();
  void DispatcherLoop();
  // An object as the cache holds it, and the snapshot handlers are given.
  struct Prepared {
    ObjectPtr object;     // managedFields dropped unless kept
    std::string text;     // `object` as compact JSON
    std::string encoded;  // `text` as codec_ encoded it
  };
  Prepared Prepare(ObjectPtr object) const;
  // Offers `text` to the codec; once it builds its dictionary, re-encodes the stored entries.
  void LearnLocked(const std::string& text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A snapshot of a stored entry (nullptr, logged, if it does not decode: never expected).
  ObjectPtr Snapshot(absl::string_view encoded) const;
  std::vector<ObjectPtr> Snapshots(const std::vector<std::string>& encoded) const;
  absl::StatusOr<ObjectList> ListAll();
  // Replaces the cache with `list`, queueing adds, updates and deletes.
  void ReplaceLocked(std::vector<Prepared> list, const std::string& resource_version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ApplyLocked(WatchEventType type, Prepared object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `object` under `key`; returns the snapshot it replaced (nullptr: none).
  ObjectPtr StoreLocked(const std::string& key, Prepared object)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes `key`; returns its last snapshot (nullptr: none).
  ObjectPtr EraseLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void IndexLocked(const std::string& key, const rapidjson::Value& object, bool add)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch(const Notification& n);

  Client& client_;
  const InformerOptions options_;
  Clock& clock_;
  CancellationToken stop_;
  std::thread reflector_;
  std::thread dispatcher_;
  bool started_ = false;

  mutable absl::Mutex mu_;
  // Written only before Start(), read-only afterwards (by the dispatcher).
  std::vector<EventHandlers> handlers_;
  std::vector<std::function<void()>> synced_callbacks_;
  std::map<std::string, IndexFunc> indexers_ ABSL_GUARDED_BY(mu_);
  // Compresses the stored texts; Learn only under mu_ (text_codec.h).
  TextCodec codec_;
  // key -> the object's compact JSON text, encoded by codec_ (one block per entry).
  TextMap items_ ABSL_GUARDED_BY(mu_);
  // index name -> value -> keys
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>>
      indices_ ABSL_GUARDED_BY(mu_);
  std::deque<Notification> queue_ ABSL_GUARDED_BY(mu_);
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::string resource_version_ ABSL_GUARDED_BY(mu_);
  int lists_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_list_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_INFORMER_H_
