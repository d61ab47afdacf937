#include "controller/manager.h"

#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "base/json.h"
#include "controller/access_review.h"
#include "controller/kubefed_config_status.h"
#include "controller/kubefed_config_loader.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/leader_election.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

// hostname_<random UUID>, as KubeFed's (os.Hostname() + "_" + uuid.NewUUID()). The pid is no
// tiebreaker: in a container it is 1, and two hostNetwork replicas on machines with the same
// name (or in one VM) would both believe they lead under one identity.
std::string DefaultLeaderIdentity() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string uuid;
  std::ifstream random_uuid("/proc/sys/kernel/random/uuid");
  if (!std::getline(random_uuid, uuid) || uuid.empty()) {
    uuid = absl::StrCat(getpid(), "-", absl::ToUnixNanos(absl::Now()));
  }
  return absl::StrCat(host, "_", uuid);
}

}  // namespace

Manager::Manager(std::unique_ptr<kube::Client> host, ManagerOptions options,
                 std::unique_ptr<kube::Client> events, std::unique_ptr<kube::Client> reviews)
    : host_(std::move(host)),
      event_client_(std::move(events)),
      review_client_(std::move(reviews)),
      options_(std::move(options)),
      readiness_([this] { return Readiness(); }),
      status_store_(std::make_unique<status::StatusStore>()) {
  registry_listener_ = registry_.AddListener([this](const std::string&) { readiness_.Changed(); });
  reviewer_ = std::make_unique<HostAccessReviewer>(review_client_ ? *review_client_ : *host_);
  status::AccessOptions ao;
  ao.kubefed_namespace = options_.kubefed_namespace;
  access_ = std::make_unique<status::AccessControl>(*reviewer_, *status_store_, ao);
  ServingOptions serving;
  serving.healthz_addr = options_.healthz_addr;
  serving.metrics_addr = options_.metrics_addr;
  serving.status_addr = options_.status_addr;
  serving.tls_cert_file = options_.tls_cert_file;
  serving.tls_key_file = options_.tls_key_file;
  serving.cert_dir = options_.cert_dir;
  serving.insecure_local = options_.insecure_local;
  servers_ = std::make_unique<ManagerServers>(std::move(serving), metrics_, *status_store_,
                                              *access_, [this] { return Readiness(); });
}

Manager::~Manager() {
  StopControllers();  // also ends the status streams and long polls
  registry_.RemoveListener(registry_listener_);
  servers_->Stop();
  // No thread calls Readiness() any more.
  absl::MutexLock lock(&mu_);
  running_cluster_controller_ = nullptr;
  running_type_config_controller_ = nullptr;
}

absl::Status Manager::Readiness() const {
  bool leading;
  const ClusterController* clusters;
  const TypeConfigController* types;
  bool propagation_disabled;
  {
    absl::MutexLock lock(&mu_);
    leading = leading_;
    propagation_disabled = propagation_disabled_;
    clusters = running_cluster_controller_;
    types = running_type_config_controller_;
  }
  // Outside mu_: Synced() takes the controllers' own locks. They outlive every caller (the
  // destructor stops the servers before it destroys them).
  if (!leading) return absl::OkStatus();  // a standby is ready to take over
  if (clusters == nullptr || !clusters->Synced()) {
    return absl::UnavailableError("KubeFedCluster cache not synced");
  }
  if (!registry_.Synced()) return absl::UnavailableError("clusters not probed yet");
  if (!propagation_disabled && (types == nullptr || !types->Synced())) {
    return absl::UnavailableError("type caches not synced");
  }
  return absl::OkStatus();
}

bool Manager::IsLeading() const {
  absl::MutexLock lock(&mu_);
  return leading_;
}

void Manager::SetLeading(bool leading) {
  {
    absl::MutexLock lock(&mu_);
    leading_ = leading;
  }
  readiness_.Changed();
}

void Manager::StartControllers(const ft::KubeFedConfig& config) {
  absl::MutexLock lifecycle(&lifecycle_mu_);
  // Shutting down already (stop came while the elector acquired the lease), or started.
  if (controllers_stopped_ || cluster_controller_ != nullptr) return;
  const bool limited = config.namespaced_scope;
  const std::string scope_ns = limited ? options_.kubefed_namespace : "";
  auto informer = [&](kube::GroupVersionResource gvr, const std::string& ns) {
    kube::InformerOptions io;
    io.gvr = std::move(gvr);
    io.ns = ns;
    return std::make_unique<kube::Informer>(*host_, io);
  };
  EventRecorderOptions eo;
  eo.qps = options_.event_qps;
  eo.burst = options_.event_burst;
  events_ = std::make_unique<EventRecorder>(
      event_client_ != nullptr ? *event_client_ : *host_, "kfed-controller-manager", Clock::Real(),
      eo);
  federated_namespaces_ = informer(FederatedNamespacesResource(), scope_ns);
  propagated_versions_ = informer(PropagatedVersionsResource(), scope_ns);
  cluster_propagated_versions_ = informer(ClusterPropagatedVersionsResource(), "");
  namespaces_ = informer(kube::NamespacesResource(), "");

  HostCaches caches{federated_namespaces_.get(), propagated_versions_.get(),
                    cluster_propagated_versions_.get(), namespaces_.get()};
  SyncControllerOptions base;
  base.kubefed_namespace = options_.kubefed_namespace;
  base.limited_scope = limited;
  base.adopt_resources = config.adopt_resources;
  base.host_workers =
      options_.host_workers > 0
          ? options_.host_workers
          : static_cast<int>(std::max<int64_t>(4, config.sync_max_concurrent_reconciles));
  base.cluster_workers = options_.cluster_workers;
  base.cache_sync_timeout = config.cache_sync_timeout;
  base.raw_resource_status_collection =
      config.FeatureEnabled(ft::kFeatureRawResourceStatusCollection);
  base.status_max_concurrent_reconciles =
      static_cast<int>(std::max<int64_t>(1, config.status_max_concurrent_reconciles));
  base.status_store = status_store_.get();
  // Caches syncing (FTCs, each type's host and member caches) push readiness.
  ReadinessNotifier* readiness = &readiness_;
  base.on_synced = [readiness] { readiness->Changed(); };
  // KubeFed's PushReconciler gate: Disabled, no FederatedTypeConfig controller and so no
  // propagation at all (KubeFed starts neither); the cluster controller still runs.
  const bool push = config.FeatureEnabled(ft::kFeaturePushReconciler);
  if (push) {
    type_config_controller_ =
        std::make_unique<TypeConfigController>(*host_, registry_, caches, metrics_, *events_, base);
    TypeConfigController* ftc = type_config_controller_.get();
    auto fns_changed = [ftc](const kube::ObjectPtr& o) {
      const rapidjson::Value* metadata = json::Find(*o, "metadata");
      if (metadata != nullptr)
        ftc->OnFederatedNamespaceChanged(json::GetString(*metadata, "namespace"));
    };
    federated_namespaces_->AddEventHandler(
        {fns_changed,
         [fns_changed](const kube::ObjectPtr&, const kube::ObjectPtr& now) { fns_changed(now); },
         fns_changed});
  } else {
    LOG(WARNING) << "feature gate " << ft::kFeaturePushReconciler
                 << " is Disabled in KubeFedConfig: nothing is propagated (as in KubeFed)";
  }
  for (kube::Informer* i : {federated_namespaces_.get(), propagated_versions_.get(),
                            cluster_propagated_versions_.get(), namespaces_.get()}) {
    i->Start();
  }

  ClusterControllerOptions cluster_options;
  cluster_options.kubefed_namespace = options_.kubefed_namespace;
  cluster_options.config = config;
  cluster_options.member_qps = options_.member_qps;
  cluster_options.member_burst = options_.member_burst;
  cluster_options.member_request_timeout = options_.member_request_timeout;
  cluster_options.status_store = status_store_.get();
  cluster_options.on_synced = base.on_synced;
  cluster_controller_ =
      std::make_unique<ClusterController>(*host_, registry_, metrics_, cluster_options);
  LOG(INFO) << "Starting cluster controller";  // KubeFed's line
  cluster_controller_->Start();
  if (type_config_controller_) type_config_controller_->Start();
  ClusterSetOptions clusterset;
  clusterset.name = options_.clusterset_name;
  clusterset.cache_sync_timeout = config.cache_sync_timeout;
  clusterset_controller_ = std::make_unique<ClusterSetController>(registry_, metrics_, clusterset);
  clusterset_controller_->Start();
  {
    McsOptions mcs;
    mcs.clusterset_ip_range = options_.clusterset_ip_range;
    mcs.cache_sync_timeout = config.cache_sync_timeout;
    mcs.status_store = status_store_.get();
    ClusterSetController* clusterset_view = clusterset_controller_.get();
    absl::StatusOr<std::unique_ptr<McsController>> created = McsController::Create(
        registry_, metrics_, mcs, [clusterset_view] {
          std::map<std::string, std::string> ids;
          for (const auto& [name, member] : clusterset_view->Members()) ids[name] = member.cluster_id;
          return ids;
        });
    if (created.ok()) {
      mcs_controller_ = std::move(*created);
      mcs_controller_->Start();
    } else {
      LOG(ERROR) << "Multi-Cluster Services are off: " << created.status();
    }
  }
  scheduling_controller_ = StartSchedulingControllerIfEnabled(
      config, *host_, registry_, metrics_, *events_, scope_ns, status_store_.get());
  {
    absl::MutexLock lock(&mu_);
    running_cluster_controller_ = cluster_controller_.get();
    running_type_config_controller_ = type_config_controller_.get();
    propagation_disabled_ = !push;
  }
  // Whatever synced before the controllers were visible to Readiness() counts now.
  readiness_.Changed();
  if (options_.kubefed_config_file.empty()) {
    settings_reporter_ = std::thread([this, config] { ReportKubeFedConfigSettings(config); });
  }
}

void Manager::ReportKubeFedConfigSettings(const ft::KubeFedConfig& config) {
  absl::StatusOr<SettingsStatus> reported =
      ReportSettings(*host_, options_.kubefed_namespace, config, absl::Now(), "kfed");
  if (!reported.ok()) {
    LOG(WARNING) << reported.status();
    return;
  }
  if (!reported->honoured) {
    LOG(INFO) << "KubeFedConfig " << options_.kubefed_namespace << "/" << ft::kKubeFedConfigName
              << ": " << reported->message;
  }
  if (!reported->changed) return;
  absl::MutexLock lifecycle(&lifecycle_mu_);
  if (controllers_stopped_ || events_ == nullptr) return;
  events_->Record(reported->object, /*warning=*/!reported->honoured,
                  std::string(reported->honoured ? ft::kAllFieldsHonouredReason
                                                 : ft::kIgnoredFieldsReason),
                  reported->message);
}

void Manager::StopControllers() {
  // The settings reporter takes lifecycle_mu_ to record its Event: join it without the lock
  // (it records nothing once controllers_stopped_ is set).
  std::thread reporter;
  {
    absl::MutexLock lifecycle(&lifecycle_mu_);
    controllers_stopped_ = true;
    reporter = std::move(settings_reporter_);
  }
  if (reporter.joinable()) reporter.join();
  absl::MutexLock lifecycle(&lifecycle_mu_);
  if (health_observer_ >= 0) {
    readiness_.RemoveObserver(health_observer_);
    health_observer_ = -1;
  }
  // Status clients first: the controllers stopping must not look like every object vanishing
  // (a stopping sync controller removes its type from the store). Streams end UNAVAILABLE and
  // long polls return; later publishes are ignored.
  servers_->StopStatusServer();
  status_store_->Close();
  if (scheduling_controller_) scheduling_controller_->Stop();
  // Before the ClusterSet controller, whose cluster IDs it reads.
  if (mcs_controller_) mcs_controller_->Stop();
  if (clusterset_controller_) clusterset_controller_->Stop();
  if (type_config_controller_) type_config_controller_->Stop();
  if (cluster_controller_) cluster_controller_->Stop();
  for (auto* i : {federated_namespaces_.get(), propagated_versions_.get(),
                  cluster_propagated_versions_.get(), namespaces_.get()}) {
    if (i != nullptr) i->Stop();
  }
  if (events_) events_->Stop();
}

absl::Status Manager::StartServing() {
  absl::Status started = servers_->Start();
  if (!started.ok()) return started;
  status::StatusServer* health = servers_->status_server();
  if (health == nullptr) return absl::OkStatus();
  absl::MutexLock lifecycle(&lifecycle_mu_);
  if (!controllers_stopped_) {
    health_observer_ = readiness_.AddObserver(
        [health](bool ready, const absl::Status&) { health->SetServing(ready); });
  }
  return absl::OkStatus();
}

absl::Status Manager::Run(const CancellationToken& stop) {
  absl::Status serving = StartServing();
  if (!serving.ok()) return serving;

  // A file's settings are not the chart's: no checksum to wait for.
  absl::Status awaited = AwaitKubeFedConfigChecksum(
      *host_, options_.kubefed_namespace,
      options_.kubefed_config_file.empty() ? options_.kubefed_config_checksum : "", stop);
  if (absl::IsCancelled(awaited)) return absl::OkStatus();
  if (!awaited.ok()) return awaited;
  absl::StatusOr<ft::KubeFedConfig> config =
      LoadKubeFedConfig(*host_, options_.kubefed_namespace, options_.kubefed_config_file);
  if (!config.ok()) return config.status();
  LOG(INFO) << "KubeFedConfig: scope " << (config->namespaced_scope ? "Namespaced" : "Cluster")
            << ", adoptResources " << (config->adopt_resources ? "Enabled" : "Disabled")
            << ", health check every " << absl::FormatDuration(config->health_check_period);

  if (!options_.leader_elect) {
    SetLeading(true);
    StartControllers(*config);
    stop.Wait();
    StopControllers();
    return absl::OkStatus();
  }

  kube::LeaderElectionConfig le;
  le.lease_namespace = options_.kubefed_namespace;
  le.lease_name = "kubefed-controller-manager";
  le.identity = options_.identity.empty() ? DefaultLeaderIdentity() : options_.identity;
  le.lease_duration = config->lease_duration;
  le.renew_deadline = config->renew_deadline;
  le.retry_period = config->retry_period;
  le.release_on_cancel = true;
  // KubeFed v0.10's lock too (its KubeFedConfig resourceLock), so that a KubeFed still
  // running against this host and kfed exclude each other (docs/user-guide.md, migrating).
  le.also_hold = kube::AnnotationLock{
      config->resource_lock == "endpoints"
          ? kube::GroupVersionResource{"", "v1", "endpoints", true, "Endpoints"}
          : kube::ConfigMapsResource(),
      options_.kubefed_namespace, "kubefed-controller-manager"};
  const std::string identity = le.identity;
  // The elector's callbacks run on this thread, inside Run() below.
  le.on_started_leading = [this, &identity, &config] {
    LOG(INFO) << "promoted as leader (" << identity << "); starting controllers";
    SetLeading(true);
    StartControllers(*config);
  };
  le.on_stopped_leading = [this, &identity] {
    LOG(WARNING) << "stopped leading (" << identity << ")";
    SetLeading(false);
  };
  le.on_new_leader = [&identity](const std::string& id) {
    if (id != identity) LOG(INFO) << "the leader is " << id;
  };
  absl::StatusOr<std::unique_ptr<kube::LeaderElector>> elector =
      kube::LeaderElector::Create(*host_, le);
  if (!elector.ok()) return elector.status();
  // On shutdown the controllers stop first and the Lease is released after: a successor
  // never runs beside a predecessor that is still writing. The thread that cancels `stop`
  // does both (at once here if it is cancelled already); the callback is removed (waiting
  // for it if it runs) before Run returns, so nothing it uses is gone while it runs.
  CancellationToken elector_stop;
  bool lost;
  {
    ScopedCancellationCallback on_stop(&stop, [this, &elector_stop] {
      if (IsLeading()) {
        LOG(INFO) << "shutting down: stopping controllers before releasing the lease";
      }
      StopControllers();
      elector_stop.Cancel();
    });
    (*elector)->Run(&elector_stop);
    lost = !elector_stop.IsCancelled();
  }
  if (lost) {
    // Leadership lost: stop writing at once. The process exits; a fresh one campaigns.
    StopControllers();
    return absl::AbortedError("leadership lost; exiting so that a fresh process campaigns again");
  }
  return absl::OkStatus();
}

}  // namespace kfed::controller
