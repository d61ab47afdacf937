#include "controller/cluster_controller.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/json.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
#include "base/label_selector.h"
#include "glog/logging.h"
#include "kube/errors.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

namespace {

// The status API's view of a cluster's published health.
status::v1::Cluster ClusterForStatus(const std::string& name, const rapidjson::Value& cluster,
                                     const ClusterHealth& health, const std::string& version,
                                     const std::string& config_error) {
  status::v1::Cluster c;
  c.set_name(name);
  c.set_kubernetes_version(version);
  if (const rapidjson::Value* spec = json::Find(cluster, "spec")) {
    c.set_api_endpoint(json::GetString(*spec, "apiEndpoint"));
  }
  if (const rapidjson::Value* labels = json::FindPath(cluster, {"metadata", "labels"});
      labels != nullptr && labels->IsObject()) {
    for (const auto& l : labels->GetObject()) {
      if (l.value.IsString()) (*c.mutable_labels())[l.name.GetString()] = l.value.GetString();
    }
  }
  if (!health.has_published()) {
    c.set_health(std::string(status::kHealthUnknown));
    return c;
  }
  auto set = [&c](absl::string_view h, absl::string_view reason, absl::string_view message) {
    c.set_health(std::string(h));
    c.set_reason(std::string(reason));
    c.set_message(std::string(message));
  };
  switch (health.published()) {
    case ProbeResult::kOk:
      set(status::kHealthReady, ft::kClusterReadyReason, ft::kClusterReadyMessage);
      break;
    case ProbeResult::kNotOk:
      set(status::kHealthNotReady, ft::kClusterNotReadyReason, ft::kClusterNotReadyMessage);
      break;
    case ProbeResult::kUnreachable:
      set(status::kHealthOffline, ft::kClusterNotReachableReason, ft::kClusterNotReachableMessage);
      break;
    case ProbeResult::kConfigMalformed:
      set(status::kHealthNotReady, ft::kClusterConfigMalformedReason,
          config_error.empty() ? std::string(ft::kClusterConfigMalformedMessage) : config_error);
      break;
  }
  return c;
}

ClientFactory DefaultFactory() {
  return [](const kube::RestConfig& config) -> absl::StatusOr<std::shared_ptr<kube::Client>> {
    absl::StatusOr<std::unique_ptr<kube::RestClient>> client = kube::RestClient::Create(config);
    if (!client.ok()) return client.status();
    return std::shared_ptr<kube::Client>(std::move(*client));
  };
}

}  // namespace

ClusterController::ClusterController(kube::Client& host, ClusterRegistry& registry,
                                     MetricsRegistry& metrics, ClusterControllerOptions options,
                                     Clock& clock, ClientFactory factory)
    : host_(host),
      registry_(registry),
      metrics_(metrics),
      options_(std::move(options)),
      clock_(clock),
      factory_(factory ? std::move(factory) : DefaultFactory()) {
  cluster_total_ = metrics_.Gauge("kubefedcluster_total", "Number of KubeFedClusters by state.",
                                  {"state", "cluster"});
  joined_total_ = metrics_.Gauge("joined_cluster_total", "Number of joined clusters.", {});
  health_duration_ = metrics_.Histogram("cluster_health_status_duration_seconds",
                                        "Time taken by a cluster health probe.", {});
}

ClusterController::~ClusterController() { Stop(); }

void ClusterController::Start() {
  kube::InformerOptions clusters;
  clusters.gvr = KubeFedClustersResource();
  clusters.ns = options_.kubefed_namespace;
  clusters_informer_ = std::make_unique<kube::Informer>(host_, clusters, clock_);
  auto on_cluster = [this](const kube::ObjectPtr&) { Resync(); };
  clusters_informer_->AddEventHandler({on_cluster,
                                       [this](const kube::ObjectPtr&, const kube::ObjectPtr& now) {
                                         Resync();
                                         Wake(Meta(*now, "name"));
                                       },
                                       on_cluster});
  kube::InformerOptions secrets;
  secrets.gvr = kube::SecretsResource();
  secrets.ns = options_.kubefed_namespace;
  secrets_informer_ = std::make_unique<kube::Informer>(host_, secrets, clock_);
  // A rotated Secret: wake the clusters that use it.
  auto on_secret = [this](const kube::ObjectPtr& secret) {
    const std::string name = Meta(*secret, "name");
    for (const kube::ObjectPtr& c : clusters_informer_->List(options_.kubefed_namespace)) {
      const rapidjson::Value* ref = json::FindPath(*c, {"spec", "secretRef"});
      if (ref != nullptr && json::GetString(*ref, "name") == name) Wake(Meta(*c, "name"));
    }
  };
  secrets_informer_->AddEventHandler(
      {on_secret,
       [on_secret](const kube::ObjectPtr&, const kube::ObjectPtr& now) { on_secret(now); },
       on_secret});
  secrets_informer_->Start();
  clusters_informer_->Start();
  resync_thread_ = std::thread([this] {
    while (!clusters_informer_->WaitForSync(absl::Seconds(1)) ||
           !secrets_informer_->WaitForSync(absl::Seconds(1))) {
      if (stopping_.HasBeenNotified()) return;
    }
    Resync();
  });
}

void ClusterController::Stop() {
  std::map<std::string, std::unique_ptr<Prober>> probers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    probers.swap(probers_);
  }
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (resync_thread_.joinable()) resync_thread_.join();
  for (auto& [name, p] : probers) {
    {
      absl::MutexLock lock(&p->mu);
      p->stop = true;
    }
    p->thread.join();
  }
  if (clusters_informer_) clusters_informer_->Stop();
  if (secrets_informer_) secrets_informer_->Stop();
}

bool ClusterController::Synced() const {
  return clusters_informer_ != nullptr && clusters_informer_->HasSynced() &&
         secrets_informer_->HasSynced();
}

void ClusterController::Wake(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = probers_.find(name);
  if (it == probers_.end()) return;
  absl::MutexLock plock(&it->second->mu);
  it->second->wake = true;
}

void ClusterController::Resync() {
  if (!Synced()) return;
  std::set<std::string> present;
  for (const kube::ObjectPtr& c : clusters_informer_->List(options_.kubefed_namespace)) {
    present.insert(Meta(*c, "name"));
  }
  std::vector<std::unique_ptr<Prober>> removed;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    for (const std::string& name : present) {
      if (probers_.count(name)) continue;
      auto p = std::make_unique<Prober>();
      p->name = name;
      Prober* raw = p.get();
      p->thread = std::thread([this, raw] { ProbeLoop(raw); });
      probers_[name] = std::move(p);
      LOG(INFO) << "cluster " << name << " joined";
    }
    for (auto it = probers_.begin(); it != probers_.end();) {
      if (present.count(it->first)) {
        ++it;
        continue;
      }
      removed.push_back(std::move(it->second));
      it = probers_.erase(it);
    }
    joined_total_->Set({}, static_cast<double>(probers_.size()));
  }
  for (auto& p : removed) {
    {
      absl::MutexLock lock(&p->mu);
      p->stop = true;
    }
    p->thread.join();
    registry_.Remove(p->name);
    if (options_.status_store != nullptr) options_.status_store->RemoveCluster(p->name);
    for (const char* state : {"ready", "notready", "offline", "configmalformed"}) {
      cluster_total_->Remove({state, p->name});
    }
    LOG(INFO) << "cluster " << p->name << " unjoined";
  }
  // The registry is synced once every existing cluster has been probed once (the prober
  // marks it); with no clusters, now.
  if (present.empty()) registry_.MarkSynced();
}

void ClusterController::ProbeLoop(Prober* prober) {
  const std::string name = prober->name;
  const ft::KubeFedConfig& config = options_.config;
  ClusterHealth health(config.health_check_failure_threshold,
                       config.health_check_success_threshold);
  std::string built_from;  // cluster spec + secret resourceVersion the client was built from
  std::shared_ptr<kube::Client> client, probe_client;
  uint64_t generation = 0;
  std::string kubernetes_version;
  std::string config_error;
  std::string last_published_labels;

  while (true) {
    kube::ObjectPtr cluster = clusters_informer_->Get(options_.kubefed_namespace, name);
    if (cluster == nullptr) break;
    const rapidjson::Value* spec = json::Find(*cluster, "spec");
    const rapidjson::Value* ref = json::FindPath(*cluster, {"spec", "secretRef"});
    kube::ObjectPtr secret =
        ref ? secrets_informer_->Get(options_.kubefed_namespace, json::GetString(*ref, "name"))
            : nullptr;
    const std::string source = absl::StrCat(spec ? json::Serialize(*spec) : "", "|",
                                            secret ? Meta(*secret, "resourceVersion") : "none");

    // (Re)build the clients when the spec or Secret changed: rotated credentials.
    if (source != built_from) {
      built_from = source;
      client.reset();
      probe_client.reset();
      config_error.clear();
      absl::StatusOr<kube::RestConfig> rest =
          secret == nullptr
              ? absl::StatusOr<kube::RestConfig>(absl::FailedPreconditionError(
                    absl::StrCat("secret \"", ref ? json::GetString(*ref, "name") : "",
                                 "\" not found in namespace ", options_.kubefed_namespace)))
              : kube::ConfigFromKubeFedCluster(*cluster, *secret);
      if (rest.ok()) {
        rest->qps = options_.member_qps;
        rest->burst = options_.member_burst;
        absl::StatusOr<std::shared_ptr<kube::Client>> c = factory_(*rest);
        kube::RestConfig probe_config = *rest;
        probe_config.timeout = config.health_check_timeout;
        probe_config.max_retries = 0;
        probe_config.qps = 0;
        absl::StatusOr<std::shared_ptr<kube::Client>> p = factory_(probe_config);
        if (c.ok() && p.ok()) {
          client = *c;
          probe_client = *p;
          ++generation;
        } else {
          config_error = std::string((c.ok() ? p.status() : c.status()).message());
        }
      } else {
        config_error = std::string(rest.status().message());
      }
      if (!config_error.empty()) {
        LOG(WARNING) << "cluster " << name << ": configuration malformed: " << config_error;
      }
    }

    // Probe. `detail` names what went wrong, for the condition messages.
    ProbeResult result = ProbeResult::kConfigMalformed;
    std::string detail = config_error;
    if (probe_client != nullptr) {
      absl::Time start = clock_.Now();
      absl::StatusOr<std::string> body = probe_client->GetRaw("/readyz");
      if (!body.ok() && (kube::IsNotFound(body.status()) || kube::IsForbidden(body.status()))) {
        body = probe_client->GetRaw("/healthz");
      }
      health_duration_->Observe({}, absl::ToDoubleSeconds(clock_.Now() - start));
      if (body.ok()) {
        result = absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(*body), "ok")
                     ? ProbeResult::kOk
                     : ProbeResult::kNotOk;
        if (result == ProbeResult::kNotOk) {
          detail = absl::StrCat("the health endpoint answered \"",
                                absl::StripAsciiWhitespace(*body), "\"");
        }
      } else if (body.status().code() == absl::StatusCode::kInternal) {
        // A 500 from /readyz: reachable but not ready.
        result = ProbeResult::kNotOk;
        detail = std::string(body.status().message());
      } else {
        // Connection, TLS (wrong or expired CA), timeout, or credentials refused (401/403).
        result = ProbeResult::kUnreachable;
        detail = std::string(body.status().message());
      }
      if (!body.ok()) VLOG(1) << "cluster " << name << " probe: " << body.status();
      if (result == ProbeResult::kOk && kubernetes_version.empty()) {
        absl::StatusOr<std::string> version = probe_client->GetRaw("/version");
        if (version.ok()) {
          absl::StatusOr<rapidjson::Document> v = json::Parse(*version);
          if (v.ok()) kubernetes_version = json::GetString(*v, "gitVersion");
        }
      }
    }
    // Bounded: a status message, not a log (errors from the transport carry no credentials).
    constexpr size_t kMaxDetail = 512;
    if (detail.size() > kMaxDetail) detail = absl::StrCat(detail.substr(0, kMaxDetail), "...");
    bool changed = health.Observe(result, clock_.Now(), detail);
    for (const char* state : {"ready", "notready", "offline", "configmalformed"}) {
      cluster_total_->Set({state, name},
                          std::string(state) == ProbeResultName(health.published()) ? 1 : 0);
    }

    // Status: only when something a user sees changed.
    const rapidjson::Value* status = json::Find(*cluster, "status");
    const bool version_changed =
        !kubernetes_version.empty() &&
        (status == nullptr || json::GetString(*status, "kubernetesVersion") != kubernetes_version);
    const bool never_written = status == nullptr || json::Find(*status, "conditions") == nullptr;
    if (changed || version_changed || never_written) {
      rapidjson::Document copy = json::Clone(*cluster);
      auto& a = copy.GetAllocator();
      rapidjson::Value& st = json::EnsureObject(copy, "status", a);
      json::Set(st, "conditions", health.Conditions(a), a);
      if (!kubernetes_version.empty())
        json::SetString(st, "kubernetesVersion", kubernetes_version, a);
      absl::StatusOr<kube::ObjectPtr> written = host_.UpdateStatus(
          KubeFedClustersResource(), options_.kubefed_namespace, copy, {options_.field_manager});
      if (!written.ok()) VLOG(1) << "status of cluster " << name << ": " << written.status();
      if (changed) {
        LOG(INFO) << "cluster " << name << " is " << ProbeResultName(health.published())
                  << (health.detail().empty() ? "" : absl::StrCat(" (", health.detail(), ")"));
      }
    }

    if (options_.status_store != nullptr) {
      options_.status_store->UpsertCluster(
          ClusterForStatus(name, *cluster, health, kubernetes_version, config_error));
    }

    // Publish for the sync controllers.
    std::shared_ptr<const MemberCluster> previous = registry_.Get(name);
    auto member = std::make_shared<MemberCluster>();
    member->name = name;
    absl::StatusOr<k8s::Labels> labels =
        k8s::LabelsFromJson(json::FindPath(*cluster, {"metadata", "labels"}));
    if (labels.ok()) member->labels = *labels;
    member->ready = health.ready();
    if (!member->ready && health.has_published()) {
      rapidjson::Document scratch;
      rapidjson::Value conditions = health.Conditions(scratch.GetAllocator());
      member->not_ready_message = json::GetString(conditions[0], "message");
    }
    member->client = client;
    member->client_generation = generation;
    if (previous == nullptr || previous->ready != member->ready ||
        previous->not_ready_message != member->not_ready_message ||
        previous->labels != member->labels ||
        previous->client_generation != member->client_generation ||
        previous->client != member->client) {
      registry_.Upsert(member);
    }
    // The cluster list is known once every cluster has been probed once.
    {
      absl::MutexLock lock(&mu_);
      bool all = true;
      for (const auto& [n, p] : probers_) {
        if (registry_.Get(n) == nullptr) all = false;
      }
      if (all) registry_.MarkSynced();
    }

    // Sleep until the next period, a wake-up (spec/Secret change) or stop.
    absl::Time deadline = clock_.Now() + config.health_check_period;
    absl::MutexLock lock(&prober->mu);
    clock_.AwaitWithDeadline(
        prober->mu,
        absl::Condition(
            +[](Prober* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu) { return p->stop || p->wake; },
            prober),
        deadline);
    if (prober->stop) break;
    prober->wake = false;
  }
}

}  // namespace kfed::controller
