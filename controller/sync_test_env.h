// A test fixture with one type's sync-controller parts (FederatedConfigMaps) over in-memory
// clusters and a fake clock, without SyncController's queues: tests call the reconcilers
// themselves, one pass at a time, and assert what the clusters hold.
//
// One member, "m1", whose cache is the ClusterWorkers informer on `member_cache_`; reconcilers
// write to `member_`. By default they are the same client. A test that sets
// `split_member_cache_` before SetUp gets two: the member cache then shows kfed's first write
// only when the test says so (CacheCatchesUp), so write expectations are exercised without
// racing an informer.
#ifndef KFED_CONTROLLER_SYNC_TEST_ENV_H_
#define KFED_CONTROLLER_SYNC_TEST_ENV_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "controller/cluster_registry.h"
#include "controller/cluster_workers.h"
#include "controller/deletion_reconciler.h"
#include "controller/events.h"
#include "controller/host_reconciler.h"
#include "controller/member_reconciler.h"
#include "controller/metrics.h"
#include "controller/plan_input.h"
#include "controller/propagated_version_store.h"
#include "controller/propagation_records.h"
#include "controller/status_publisher.h"
#include "controller/sync_options.h"
#include "controller/version_writer.h"
#include "controller/write_expectations.h"
#include "gtest/gtest.h"
#include "kube/client_fake.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

class SyncTestEnv : public ::testing::Test {
 protected:
  // FederatedConfigMap demo/web with kfed's finalizer, data.v = `value`, placed on m1.
  static std::string FederatedWeb(const std::string& value = "1");

  void SetUp() override;
  void TearDown() override;

  // Creates a federated object in the host and waits until the host cache shows it.
  void CreateFederated(const std::string& json);
  // Waits until the host cache shows the host's current demo/web (or its absence).
  void AwaitFederatedCache();

  // One member pass / host pass over demo/web. Unless `host_pass_writes_versions_` is false,
  // a host pass is followed by the version workers' passes (VersionPasses) over the keys it
  // queued for them; their failures fail the test.
  absl::StatusOr<ReconcileResult> MemberPass();
  absl::StatusOr<ReconcileResult> HostPass();
  // One VersionWriter pass over each key queued for the version workers since the last call;
  // the first error, else OK.
  absl::Status VersionPasses();

  // The ConfigMap demo/web in the member kfed writes to; the FederatedConfigMap demo/web in
  // the host (nullptr when absent).
  kube::ObjectPtr MemberObject();
  kube::ObjectPtr HostObject();
  // Waits until the member cache shows what the member holds. With a split cache, only a
  // first create can be caught up with (copied into the cache at the same resourceVersion).
  void CacheCatchesUp();

  // Keys the member reconciler woke the host for, and keys sent to the finalizer queue and
  // to a delayed host re-check, since the last call.
  std::vector<std::string> TakeWoken();
  std::vector<std::string> TakeFinalizerQueue();
  std::vector<std::string> TakeRechecks();

  FakeClock clock_;
  SyncControllerOptions options_;
  kube::FakeClient host_;
  bool split_member_cache_ = false;
  std::shared_ptr<kube::FakeClient> member_ = std::make_shared<kube::FakeClient>();
  std::shared_ptr<kube::FakeClient> member_cache_;
  std::unique_ptr<kube::Informer> federated_, federated_namespaces_, propagated_versions_,
      cluster_propagated_versions_, namespaces_;
  HostCaches caches_;
  ClusterRegistry registry_;
  MetricsRegistry metrics_;
  status::StatusStore store_;
  PropagationRecords records_;
  WriteExpectations expectations_{clock_};
  std::unique_ptr<PropagatedVersionStore> versions_;
  std::unique_ptr<ClusterWorkers> workers_;
  std::unique_ptr<PlanInputBuilder> inputs_;
  std::unique_ptr<StatusPublisher> publisher_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<MemberReconciler> member_reconciler_;
  std::unique_ptr<DeletionReconciler> deletion_;
  std::unique_ptr<VersionWriter> version_writer_;
  std::unique_ptr<HostReconciler> host_reconciler_;
  bool host_pass_writes_versions_ = true;

 private:
  std::unique_ptr<kube::Informer> StartInformer(kube::GroupVersionResource gvr);

  absl::Mutex mu_;
  std::vector<std::string> woken_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> finalizer_queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> rechecks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> version_queue_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SYNC_TEST_ENV_H_
