#include "controller/type_config_controller.h"

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
    SyncController* c = r.controller.get();
    stopping.emplace_back([c] { c->Stop(); });
  }
  for (std::thread& t : stopping) t.join();
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

  std::unique_ptr<SyncController> to_stop;
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
  const bool want = config.ok() && config->propagation_enabled;
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
      to_stop = std::move(it->second.controller);
      running_.erase(it);
    }
  }
  if (to_stop != nullptr) {
    to_stop->Stop();
    LOG(INFO) << "stopped propagation of " << name;
    // Synced() no longer waits for it.
    if (base_.on_synced) base_.on_synced();
  }
  bool running = false;
  if (want && !blocked) {
    absl::MutexLock lock(&mu_);
    auto it = running_.find(name);
    if (it == running_.end()) {
      SyncControllerOptions options = base_;
      options.type_config = *config;
      auto controller = std::make_unique<SyncController>(host_, clusters_, caches_, metrics_,
                                                         events_, options, clock_);
      controller->Start();
      running_[name] = {std::move(controller), spec};
      LOG(INFO) << "started propagation of " << name << " (" << config->federated_type.kind
                << " -> " << config->target_type.kind << ")";
      // Types waiting for the namespaces type can start now.
      if (name == ft::kNamespacesTypeConfigName) {
        for (const kube::ObjectPtr& other : informer_->List()) pool_->Add(Meta(*other, "name"));
      }
    }
    running = true;
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
  absl::StatusOr<ReconcileResult> status = write_result(WriteStatus(ftc, running), "status");
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

absl::Status TypeConfigController::WriteStatus(const kube::ObjectPtr& ftc, bool running) {
  const rapidjson::Value* generation = json::FindPath(*ftc, {"metadata", "generation"});
  const int64_t gen = generation != nullptr && generation->IsInt64() ? generation->GetInt64() : 0;
  const std::string propagation =
      running ? std::string(ft::kControllerRunning) : std::string(ft::kControllerNotRunning);
  const rapidjson::Value* status = json::Find(*ftc, "status");
  if (status != nullptr && json::GetString(*status, "propagationController") == propagation &&
      json::Find(*status, "observedGeneration") != nullptr &&
      (*status)["observedGeneration"].IsInt64() &&
      (*status)["observedGeneration"].GetInt64() == gen &&
      json::GetString(*status, "statusController") == ft::kControllerNotRunning) {
    return absl::OkStatus();
  }
  rapidjson::Document copy = json::Clone(*ftc);
  auto& a = copy.GetAllocator();
  rapidjson::Value& st = json::EnsureObject(copy, "status", a);
  json::Set(st, "observedGeneration", rapidjson::Value(static_cast<int64_t>(gen)), a);
  json::SetString(st, "propagationController", propagation, a);
  // Status collection (KubeFed's RawResourceStatusCollection) is not implemented yet.
  json::SetString(st, "statusController", ft::kControllerNotRunning, a);
  return host_
      .UpdateStatus(FederatedTypeConfigsResource(), base_.kubefed_namespace, copy,
                    {base_.field_manager})
      .status();
}

}  // namespace kfed::controller
