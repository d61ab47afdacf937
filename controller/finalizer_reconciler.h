// kfed's finalizer (kubefed.io/sync-controller) on one type's federated objects: the
// finalizer workers add it to new objects, and the deletion pass removes it once no member
// holds a copy. Nothing propagates before it is in place, so a deletion always finds it.
#ifndef KFED_CONTROLLER_FINALIZER_RECONCILER_H_
#define KFED_CONTROLLER_FINALIZER_RECONCILER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "controller/events.h"
#include "controller/own_writes.h"
#include "controller/reconciler.h"
#include "controller/sync_options.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "rapidjson/document.h"

namespace kfed::controller {

// Whether kfed's finalizer is still to be added to `fed`: live, not a system namespace (for
// the namespaces type), no finalizer yet.
bool NeedsFinalizer(const SyncControllerOptions& options, const rapidjson::Value& fed);

// Adds kfed's finalizer to `fed` (`present`) or removes it, with one Update of the object
// as cached (a conflict means the cache is behind: the newer object's event comes).
// Returns the object written.
absl::StatusOr<kube::ObjectPtr> SetSyncFinalizer(
    kube::Client& host, const SyncControllerOptions& options, const rapidjson::Value& fed,
    bool present, kube::RequestPriority priority = kube::RequestPriority::kNormal);

// The finalizer workers' reconciler: adds the finalizer where NeedsFinalizer says so, with
// priority on the host client's limiter, so that these writes never queue behind status
// writes in a burst.
class FinalizerReconciler : public Reconciler {
 public:
  // All borrowed. `federated` is the host cache of the type's Federated<Kind>.
  FinalizerReconciler(kube::Client& host, const SyncControllerOptions& options,
                      const kube::Informer& federated, EventRecorder& events);

  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) override;

 private:
  kube::Client& host_;
  const SyncControllerOptions& options_;
  const kube::Informer& federated_;
  EventRecorder& events_;
  // The finalizers added that the cache has yet to show: a second pass in that window (the
  // host pass queues the key whenever it sees no finalizer) adds nothing, where it used to
  // write with the stale resourceVersion (409 Conflict).
  OwnWrites own_writes_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_FINALIZER_RECONCILER_H_
