// The KubeFedCluster controller: for each KubeFedCluster in the federation namespace, builds a
// client from its Secret and CA bundle, probes its health (/readyz, falling back to /healthz)
// every period with KubeFed's thresholds and timeout, writes Ready/Offline/ConfigMalformed
// conditions and status.kubernetesVersion (only when they change: an idle federation makes no
// writes), and publishes the cluster in the ClusterRegistry for the sync controllers and in
// the status store for the status API (which ignores publishes that change nothing).
//
// Threads: one prober per cluster (so a dead cluster's timeouts delay no other), and the
// informers on KubeFedClusters and Secrets, whose handlers only wake the probers.
// Rotated credentials: a changed Secret or KubeFedCluster spec rebuilds the client.
#ifndef KFED_CONTROLLER_CLUSTER_CONTROLLER_H_
#define KFED_CONTROLLER_CLUSTER_CONTROLLER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/clock.h"
#include "controller/cluster_health.h"
#include "controller/cluster_registry.h"
#include "controller/kubefed_resources.h"
#include "controller/metrics.h"
#include "federated_types/kubefed_config.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "status/store.h"

namespace kfed::controller {

struct ClusterControllerOptions {
  std::string kubefed_namespace = "kube-federation-system";
  federated_types::KubeFedConfig config;  // health check period, thresholds, timeout
  double member_qps = 100;                // per member client
  int member_burst = 200;
  std::string field_manager = "kfed";
  // Where each cluster's health, version, endpoint and labels are published for the status
  // API and the dashboard (nullptr: nowhere). Must outlive the controller.
  status::StatusStore* status_store = nullptr;
};

// Builds a member client from a config; a seam for tests.
using ClientFactory =
    std::function<absl::StatusOr<std::shared_ptr<kube::Client>>(const kube::RestConfig& config)>;

class ClusterController {
 public:
  ClusterController(kube::Client& host, ClusterRegistry& registry, MetricsRegistry& metrics,
                    ClusterControllerOptions options, Clock& clock = Clock::Real(),
                    ClientFactory factory = nullptr);
  ~ClusterController();

  void Start();
  void Stop();
  bool Synced() const;

 private:
  struct Prober {
    std::string name;
    std::thread thread;
    absl::Mutex mu;
    bool wake ABSL_GUARDED_BY(mu) = false;
    bool stop ABSL_GUARDED_BY(mu) = false;
  };
  void Resync() ABSL_LOCKS_EXCLUDED(mu_);
  void Wake(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);
  void ProbeLoop(Prober* prober);

  kube::Client& host_;
  ClusterRegistry& registry_;
  MetricsRegistry& metrics_;
  const ClusterControllerOptions options_;
  Clock& clock_;
  ClientFactory factory_;
  std::unique_ptr<kube::Informer> clusters_informer_;
  std::unique_ptr<kube::Informer> secrets_informer_;
  std::thread resync_thread_;
  absl::Notification stopping_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Prober>> probers_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;

  MetricFamily* cluster_total_;
  MetricFamily* joined_total_;
  MetricFamily* health_duration_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_CLUSTER_CONTROLLER_H_
