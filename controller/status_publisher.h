// One sync controller's side of the status API (status/store.h): publishes what the host
// pass knows about each federated object of the type (per-cluster state, the Propagation
// condition), removes objects that are gone, and renders an object for one cluster on demand
// (the store's renderer for the type, behind GetObject). Without a store, it does nothing.
//
// Threads: host workers publish; renders run on the status API's threads. Thread-safe.
#ifndef KFED_CONTROLLER_STATUS_PUBLISHER_H_
#define KFED_CONTROLLER_STATUS_PUBLISHER_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "controller/plan_input.h"
#include "controller/status_publish.h"
#include "controller/sync_options.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "rapidjson/document.h"
#include "status/status.pb.h"
#include "status/store.h"

namespace kfed::controller {

class StatusPublisher {
 public:
  // `federated` is the host cache of the type's Federated<Kind>. All borrowed.
  StatusPublisher(const SyncControllerOptions& options, const kube::Informer& federated,
                  const PlanInputBuilder& inputs);

  // Registers the type and its renderer with the store.
  void Open();
  // Removes the renderer (no render runs once this returns) and drops later publishes: a
  // stopped controller no longer owns its type's entries. Idempotent.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);
  // Removes every object of the type from the store (after Close, once no worker runs).
  void RemoveType();

  // Publishes the federated object `fed` (key `key`) with the Propagation condition of
  // `status` (a `status` object, may be null) and these clusters.
  void Publish(const kube::ObjectPtr& fed, const std::string& key, const rapidjson::Value* status,
               const std::vector<PublishedCluster>& clusters) ABSL_LOCKS_EXCLUDED(mu_);
  void Unpublish(const std::string& key);

  // GetObject's rendering of `ns`/`name` for `cluster`: the object kfed would write there
  // and the cluster's overrides, or why it cannot be rendered. NotFound when the host cache
  // has no such federated object.
  absl::StatusOr<status::RenderResult> Render(const std::string& ns, const std::string& name,
                                              const std::string& cluster) const;

 private:
  const SyncControllerOptions& options_;
  status::StatusStore* const store_;
  const kube::Informer& federated_;
  const PlanInputBuilder& inputs_;

  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_STATUS_PUBLISHER_H_
