#include "controller/manager.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/cancellation.h"
#include "base/json.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"
#include "kube/leader_election.h"
#include "kube/transport.h"
#include "status/http_api.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

Manager::Manager(std::unique_ptr<kube::Client> host, ManagerOptions options,
                 std::unique_ptr<kube::Client> events)
    : host_(std::move(host)),
      event_client_(std::move(events)),
      options_(std::move(options)),
      status_store_(std::make_unique<status::StatusStore>()) {}

Manager::~Manager() {
  StopControllers();  // also ends the status streams and long polls
  if (memory_trimmer_ != nullptr) memory_trimmer_->Stop();
  metrics_server_.reset();
  healthz_server_.reset();
}

absl::StatusOr<ft::KubeFedConfig> Manager::LoadKubeFedConfig() {
  const kube::GroupVersionResource gvr = KubeFedConfigsResource();
  absl::StatusOr<kube::ObjectPtr> existing =
      host_->Get(gvr, options_.kubefed_namespace, ft::kKubeFedConfigName);
  if (kube::IsNotFound(existing.status())) {
    LOG(INFO) << "KubeFedConfig " << options_.kubefed_namespace << "/" << ft::kKubeFedConfigName
              << " not found: creating it with KubeFed's defaults";
    rapidjson::Document defaults =
        ft::KubeFedConfigToJson(ft::DefaultKubeFedConfig(), options_.kubefed_namespace);
    existing = host_->Create(gvr, options_.kubefed_namespace, defaults, {"kfed"});
    if (kube::IsAlreadyExists(existing.status())) {
      existing = host_->Get(gvr, options_.kubefed_namespace, ft::kKubeFedConfigName);
    }
  }
  if (!existing.ok()) {
    return absl::Status(existing.status().code(),
                        absl::StrCat("reading KubeFedConfig ", options_.kubefed_namespace, "/",
                                     ft::kKubeFedConfigName, ": ", existing.status().message(),
                                     " (are kfed's CRDs installed in the host? kubectl apply -f "
                                     "federated_types/crds/)"));
  }
  absl::StatusOr<ft::KubeFedConfig> config = ft::ParseKubeFedConfig(**existing);
  if (!config.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KubeFedConfig ", ft::kKubeFedConfigName, ": ", config.status().message()));
  }
  return config;
}

absl::Status Manager::Readiness() const {
  if (!leading_) return absl::OkStatus();  // a standby is ready to take over
  if (cluster_controller_ == nullptr || !cluster_controller_->Synced()) {
    return absl::UnavailableError("KubeFedCluster cache not synced");
  }
  if (!registry_.Synced()) return absl::UnavailableError("clusters not probed yet");
  if (type_config_controller_ == nullptr || !type_config_controller_->Synced()) {
    return absl::UnavailableError("type caches not synced");
  }
  return absl::OkStatus();
}

void Manager::StartControllers(const ft::KubeFedConfig& config) {
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
  base.status_store = status_store_.get();
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
  for (kube::Informer* i : {federated_namespaces_.get(), propagated_versions_.get(),
                            cluster_propagated_versions_.get(), namespaces_.get()}) {
    i->Start();
  }

  ClusterControllerOptions cluster_options;
  cluster_options.kubefed_namespace = options_.kubefed_namespace;
  cluster_options.config = config;
  cluster_options.member_qps = options_.member_qps;
  cluster_options.member_burst = options_.member_burst;
  cluster_options.status_store = status_store_.get();
  cluster_controller_ =
      std::make_unique<ClusterController>(*host_, registry_, metrics_, cluster_options);
  cluster_controller_->Start();
  type_config_controller_->Start();
}

void Manager::StopControllers() {
  // Status clients first: the controllers stopping must not look like every object vanishing
  // (a stopping sync controller removes its type from the store). Streams end UNAVAILABLE and
  // long polls return; later publishes are ignored.
  if (status_server_) status_server_->Stop();
  status_store_->Close();
  if (type_config_controller_) type_config_controller_->Stop();
  if (cluster_controller_) cluster_controller_->Stop();
  for (auto* i : {federated_namespaces_.get(), propagated_versions_.get(),
                  cluster_propagated_versions_.get(), namespaces_.get()}) {
    if (i != nullptr) i->Stop();
  }
  if (events_) events_->Stop();
}

absl::Status Manager::Run(const absl::Notification& stop) {
  auto readiness = [this] { return Readiness(); };
  healthz_server_ = std::make_unique<HttpServer>(&metrics_, readiness);
  if (options_.metrics_addr != options_.healthz_addr) {
    metrics_server_ = std::make_unique<HttpServer>(&metrics_, readiness);
  }
  if (memory_trimmer_ == nullptr) {
    memory_trimmer_ = std::make_unique<MemoryTrimmer>(metrics_);
    memory_trimmer_->Start();
  }
  // The dashboard and its API (status/http_api.h) on the metrics server.
  auto api = std::make_shared<status::HttpApi>(*status_store_, kube::kKfedVersion);
  (metrics_server_ ? metrics_server_ : healthz_server_)
      ->Get("/.*", [api](const HttpRequest& request, HttpResponse* response) {
        status::HttpReply reply = api->Get(request.path, request.params);
        response->status = reply.status;
        response->content_type = std::move(reply.content_type);
        response->body = std::move(reply.body);
      });
  absl::StatusOr<int> hp = healthz_server_->Start(options_.healthz_addr);
  if (!hp.ok()) return hp.status();
  healthz_port_ = *hp;
  if (metrics_server_ != nullptr) {
    absl::StatusOr<int> mp = metrics_server_->Start(options_.metrics_addr);
    if (!mp.ok()) return mp.status();
    metrics_port_ = *mp;
  } else {
    metrics_port_ = healthz_port_;
  }
  LOG(INFO) << "serving /healthz /readyz /metrics on " << options_.healthz_addr << " (port "
            << healthz_port_ << ") and " << options_.metrics_addr << " (port " << metrics_port_
            << "); the dashboard and /api/v1 on port " << metrics_port_;

  if (options_.status_addr.empty()) {
    LOG(INFO) << "the gRPC status API is disabled (--status-addr=\"\")";
  } else {
    status::StatusServerOptions so;
    so.address = options_.status_addr;
    so.tls_cert_file = options_.status_tls_cert_file;
    so.tls_key_file = options_.status_tls_key_file;
    so.version = kube::kKfedVersion;
    so.ready = [this] { return Readiness().ok(); };
    absl::StatusOr<std::unique_ptr<status::StatusServer>> server =
        status::StatusServer::Start(*status_store_, so);
    if (!server.ok()) return server.status();
    status_server_ = std::move(*server);
    status_port_ = status_server_->port();
    LOG(INFO) << "serving the gRPC status API (kfed.status.v1.FederationStatus, health, "
                 "reflection) on "
              << options_.status_addr << " (port " << status_port_ << ") "
              << (status_server_->tls() ? "with TLS"
                                        : "in plaintext (no --status-tls-cert-file/--status-"
                                          "tls-key-file)");
  }

  absl::StatusOr<ft::KubeFedConfig> config = LoadKubeFedConfig();
  if (!config.ok()) return config.status();
  LOG(INFO) << "KubeFedConfig: scope " << (config->namespaced_scope ? "Namespaced" : "Cluster")
            << ", adoptResources " << (config->adopt_resources ? "Enabled" : "Disabled")
            << ", health check every " << absl::FormatDuration(config->health_check_period);

  if (!options_.leader_elect) {
    leading_ = true;
    StartControllers(*config);
    stop.WaitForNotification();
    StopControllers();
    return absl::OkStatus();
  }

  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  kube::LeaderElectionConfig le;
  le.lease_namespace = options_.kubefed_namespace;
  le.lease_name = "kubefed-controller-manager";
  le.identity = options_.identity.empty() ? absl::StrCat(host, "_", getpid()) : options_.identity;
  le.lease_duration = config->lease_duration;
  le.renew_deadline = config->renew_deadline;
  le.retry_period = config->retry_period;
  le.release_on_cancel = true;
  le.on_started_leading = [&] {
    LOG(INFO) << "became leader (" << le.identity << "); starting controllers";
    leading_ = true;
    StartControllers(*config);
  };
  le.on_stopped_leading = [&] {
    LOG(WARNING) << "stopped leading (" << le.identity << ")";
    leading_ = false;
  };
  le.on_new_leader = [&](const std::string& id) {
    if (id != le.identity) LOG(INFO) << "the leader is " << id;
  };
  absl::StatusOr<std::unique_ptr<kube::LeaderElector>> elector =
      kube::LeaderElector::Create(*host_, le);
  if (!elector.ok()) return elector.status();
  // On shutdown the controllers stop first and the Lease is released after: a successor
  // never runs beside a predecessor that is still writing.
  CancellationToken elector_stop;
  std::thread shutdown([&] {
    stop.WaitForNotification();
    if (leading_) LOG(INFO) << "shutting down: stopping controllers before releasing the lease";
    StopControllers();
    elector_stop.Cancel();
  });
  (*elector)->Run(&elector_stop);
  if (!stop.HasBeenNotified()) {
    // Leadership lost: stop writing at once. The process exits; a fresh one campaigns.
    StopControllers();
    shutdown.detach();
    return absl::AbortedError("leadership lost; exiting so that a fresh process campaigns again");
  }
  shutdown.join();
  return absl::OkStatus();
}

}  // namespace kfed::controller
