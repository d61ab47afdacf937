#include "controller/type_config_controller.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "federated_types/type_config.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

TypeConfigController::TypeConfigController(kube::Client& host, ClusterRegistry& clusters,
                                           HostCaches caches, MetricsRegistry& metrics,
                                           EventRecorder& events, SyncControllerOptions base,
                                           Clock& clock)
    : host_(host),
      clusters_(clusters),
      caches_(caches),
      metrics_(metrics),
      events_(events),
      base_(std::move(base)),
      clock_(clock),
      reconciler_([this](const std::string& name) { return Reconcile(name); }) {}

TypeConfigController::~TypeConfigController() { Stop(); }

void TypeConfigController::Start() {
  kube::InformerOptions io;
  io.gvr = FederatedTypeConfigsResource();
  io.ns = base_.kubefed_namespace;
  informer_ = std::make_unique<kube::Informer>(host_, io, clock_);
  WorkerPoolOptions po;
  po.name = "federatedtypeconfig";
  po.cache_sync_timeout = base_.cache_sync_timeout;
  po.caches.push_back(InformerSyncSource("FederatedTypeConfig informer", *informer_));
  pool_ = std::make_unique<WorkerPool>(reconciler_, metrics_, std::move(po), clock_);
  auto enqueue = [this](const kube::ObjectPtr& o) {
    pool_->Add(Meta(*o, "name"));
    // A change of the namespaces type may unblock namespaced types.
    if (Meta(*o, "name") == ft::kNamespacesTypeConfigName) {
      for (const kube::ObjectPtr& other : informer_->List()) pool_->Add(Meta(*other, "name"));
    }
  };
  informer_->AddEventHandler(
      {enqueue, [enqueue](const kube::ObjectPtr&, const kube::ObjectPtr& now) { enqueue(now); },
       enqueue});
  informer_->AddSyncedCallback(base_.on_synced);
  informer_->Start();
  pool_->Start();
}

void TypeConfigController::Stop() {
  if (pool_) pool_->Stop();
  if (informer_) informer_->Stop();
  std::map<std::string, RunningType> running;
  {
    absl::MutexLock lock(&mu_);
    running.swap(running_);
  }
  // In parallel: each controller waits for its watches and in-flight requests to end.
  std::vector<std::thread> stopping;
  for (auto& [name, r] : running) {
    RunningType* type = &r;
    stopping.emplace_back([type] { StopType(*type); });
  }
  for (std::thread& t : stopping) t.join();
}

void TypeConfigController::StopType(RunningType& type) {
  if (type.status != nullptr) type.status->Stop();
  if (type.controller != nullptr) type.controller->Stop();
}

void TypeConfigController::OnFederatedNamespaceChanged(const std::string& ns) {
  absl::MutexLock lock(&mu_);
  for (auto& [name, r] : running_) r.controller->OnNamespacePlacementChanged(ns);
}

std::vector<std::string> TypeConfigController::Running() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, r] : running_) names.push_back(name);
  return names;
}

std::vector<std::string> TypeConfigController::StatusRunning() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, r] : running_) {
    if (r.status != nullptr) names.push_back(name);
  }
  return names;
}

bool TypeConfigController::Synced() const {
  if (informer_ == nullptr || !informer_->HasSynced()) return false;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, r] : running_) {
    if (!r.controller->HostSynced() || !r.controller->MembersSynced()) return false;
  }
  return true;
}

absl::StatusOr<ReconcileResult> TypeConfigController::Reconcile(const std::string& name) {
  kube::ObjectPtr ftc = informer_->Get(base_.kubefed_namespace, name);
  const rapidjson::Value* deletion =
      ftc ? json::FindPath(*ftc, {"metadata", "deletionTimestamp"}) : nullptr;
  const bool deleting = deletion != nullptr && !deletion->IsNull();

  std::optional<RunningType> to_stop;
  absl::StatusOr<ft::TypeConfig> config = absl::NotFoundError("gone");
  if (ftc != nullptr && !deleting) {
    config = ft::ParseTypeConfig(*ftc);
    if (config.ok()) {
      ft::SetTypeConfigDefaults(&*config);
      absl::Status valid = ft::ValidateTypeConfig(*config);
      if (!valid.ok()) config = valid;
    }
    if (!config.ok()) {
      LOG(WARNING) << "FederatedTypeConfig " << name << " is invalid: " << config.status();
    }
  }
  // A namespace-scoped control plane federates no cluster-scoped type (the namespaces type
  // included: its sync controllers read FederatedNamespaces themselves): KubeFed starts no
  // controller for one and reports it NotRunning, and its members grant nothing
  // cluster-scoped, so a sync controller would only retry forbidden member lists.
  const bool out_of_scope = config.ok() && config->propagation_enabled && base_.limited_scope &&
                            !config->TargetNamespaced();
  const bool want = config.ok() && config->propagation_enabled && !out_of_scope;
  // KubeFed runs the status controller for `services` with a statusType, and only while raw
  // status collection (remoteStatus) is off. It reads the sync controller's member caches, so
  // it runs only with it (propagation Enabled); status.statusController says so.
  const bool want_status =
      want && config->ServiceStatusCollectionEnabled() && !base_.raw_resource_status_collection;
  // What a running sync controller was started with: a change restarts it (the annotation
  // kfed.io/sensitive too, as it changes what the status API shows).
  const std::string spec =
      (ftc && json::Find(*ftc, "spec") ? json::Serialize((*ftc)["spec"]) : "") +
      (config.ok() && config->sensitive ? "\nsensitive" : "");

  // Namespaced types need the namespaces type running (FederatedNamespace placement), unless
  // the control plane is namespace-scoped.
  bool blocked = false;
  if (want && config->TargetNamespaced() && !base_.limited_scope && !config->IsNamespace()) {
    absl::MutexLock lock(&mu_);
    blocked = running_.count(std::string(ft::kNamespacesTypeConfigName)) == 0;
  }

  {
    absl::MutexLock lock(&mu_);
    auto it = running_.find(name);
    if (it != running_.end() && (!want || blocked || it->second.spec != spec)) {
      to_stop = std::move(it->second);
      running_.erase(it);
    }
  }
  if (to_stop.has_value()) {
    StopType(*to_stop);
    LOG(INFO) << "stopped propagation of " << name;
    // Synced() no longer waits for it.
    if (base_.on_synced) base_.on_synced();
  }
  if (out_of_scope) {
    absl::MutexLock lock(&mu_);
    if (out_of_scope_logged_.insert(name).second) {
      LOG(INFO) << "not starting propagation of cluster-scoped " << name
                << ": a namespace-scoped control plane federates only namespaced types";
    }
  }
  bool running = false;
  bool status_running = false;
  if (want && !blocked) {
    absl::MutexLock lock(&mu_);
    auto it = running_.find(name);
    if (it == running_.end()) {
      SyncControllerOptions options = base_;
      options.type_config = *config;
      auto controller = std::make_unique<SyncController>(host_, clusters_, caches_, metrics_,
                                                         events_, options, clock_);
      controller->Start();
      std::unique_ptr<StatusController> status;
      if (want_status) {
        StatusControllerOptions so;
        so.type_config = *config;
        so.kubefed_namespace = base_.kubefed_namespace;
        so.limited_scope = base_.limited_scope;
        so.workers = base_.status_max_concurrent_reconciles;
        so.cache_sync_timeout = base_.cache_sync_timeout;
        so.field_manager = base_.field_manager;
        status = std::make_unique<StatusController>(host_, clusters_, controller->member_caches(),
                                                    metrics_, so, clock_);
        status->Start();
      }
      running_[name] = {std::move(controller), std::move(status), spec};
      LOG(INFO) << "started propagation of " << name << " (" << config->federated_type.kind
                << " -> " << config->target_type.kind << ")";
      // Types waiting for the namespaces type can start now.
      if (name == ft::kNamespacesTypeConfigName) {
        for (const kube::ObjectPtr& other : informer_->List()) pool_->Add(Meta(*other, "name"));
      }
    }
    running = true;
    status_running = running_[name].status != nullptr;
  }
  // Synced() now also waits for a controller started here (its caches push when synced).
  if (running && base_.on_synced) base_.on_synced();

  // A write that finds the object gone is done: its deletion event brings us back.
  auto write_result = [](const absl::Status& s,
                         absl::string_view what) -> absl::StatusOr<ReconcileResult> {
    if (s.ok() || kube::IsNotFound(s)) return ReconcileResult::Done();
    return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
  };
  if (ftc == nullptr) return ReconcileResult::Done();
  if (deleting) {
    if (!HasFinalizer(*ftc, ft::kFederatedTypeConfigFinalizer)) return ReconcileResult::Done();
    return write_result(SetFinalizer(ftc, false), "removing the finalizer");
  }
  if (!HasFinalizer(*ftc, ft::kFederatedTypeConfigFinalizer)) {
    // The update's event brings us back for the status.
    return write_result(SetFinalizer(ftc, true), "adding the finalizer");
  }
  absl::StatusOr<ReconcileResult> status =
      write_result(WriteStatus(ftc, running, status_running), "status");
  if (!status.ok()) return status;
  // A type waiting for the namespaces type is checked again later (and at once when the
  // namespaces type starts).
  return blocked ? ReconcileResult::Requeue() : ReconcileResult::Done();
}

absl::Status TypeConfigController::SetFinalizer(const kube::ObjectPtr& ftc, bool present) {
  rapidjson::Document copy = json::Clone(*ftc);
  controller::SetFinalizer(copy, ft::kFederatedTypeConfigFinalizer, present);
  return host_
      .Update(FederatedTypeConfigsResource(), base_.kubefed_namespace, copy, {base_.field_manager})
      .status();
}

absl::Status TypeConfigController::WriteStatus(const kube::ObjectPtr& ftc, bool running,
                                               bool status_running) {
  const rapidjson::Value* generation = json::FindPath(*ftc, {"metadata", "generation"});
  const int64_t gen = generation != nullptr && generation->IsInt64() ? generation->GetInt64() : 0;
  const std::string propagation =
      running ? std::string(ft::kControllerRunning) : std::string(ft::kControllerNotRunning);
  const std::string status_controller =
      status_running ? std::string(ft::kControllerRunning) : std::string(ft::kControllerNotRunning);
  const rapidjson::Value* status = json::Find(*ftc, "status");
  if (status != nullptr && json::GetString(*status, "propagationController") == propagation &&
      json::Find(*status, "observedGeneration") != nullptr &&
      (*status)["observedGeneration"].IsInt64() &&
      (*status)["observedGeneration"].GetInt64() == gen &&
      json::GetString(*status, "statusController") == status_controller) {
    return absl::OkStatus();
  }
  rapidjson::Document copy = json::Clone(*ftc);
  auto& a = copy.GetAllocator();
  rapidjson::Value& st = json::EnsureObject(copy, "status", a);
  json::Set(st, "observedGeneration", rapidjson::Value(static_cast<int64_t>(gen)), a);
  json::SetString(st, "propagationController", propagation, a);
  json::SetString(st, "statusController", status_controller, a);
  return host_
      .UpdateStatus(FederatedTypeConfigsResource(), base_.kubefed_namespace, copy,
                    {base_.field_manager})
      .status();
}

}  // namespace kfed::controller
