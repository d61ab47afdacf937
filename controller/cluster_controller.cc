#include "controller/cluster_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "base/json.h"
#include "base/label_selector.h"
#include "controller/object_meta.h"
#include "federated_types/keys.h"
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

// The key of the reconcile that marks the registry synced when there are no clusters: no
// KubeFedCluster is named like this ("/" is not allowed in names). Queued once at Start();
// the pool runs it only after both informers synced.
constexpr char kListSyncedKey[] = "/cluster-list";

constexpr const char* kStates[] = {"ready", "notready", "offline", "configmalformed"};

// What the reconcile reads of a KubeFedCluster besides its status: a change enqueues it.
std::string WatchedFields(const rapidjson::Value& cluster) {
  const rapidjson::Value* spec = json::Find(cluster, "spec");
  const rapidjson::Value* labels = json::FindPath(cluster, {"metadata", "labels"});
  const rapidjson::Value* deletion = json::FindPath(cluster, {"metadata", "deletionTimestamp"});
  return absl::StrCat(spec ? json::Serialize(*spec) : "", "|",
                      labels ? json::Serialize(*labels) : "", "|",
                      deletion ? json::Serialize(*deletion) : "");
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
      factory_(factory ? std::move(factory) : DefaultFactory()),
      reconciler_([this](const std::string& key) { return Reconcile(key); }) {
  cluster_total_ = metrics_.Gauge("kubefedcluster_total", "Number of KubeFedClusters by state.",
                                  {"state", "cluster"});
  joined_total_ = metrics_.Gauge("joined_cluster_total", "Number of joined clusters.", {});
  health_duration_ = metrics_.Histogram("cluster_health_status_duration_seconds",
                                        "Time taken by a cluster health probe.", {});
}

ClusterController::~ClusterController() { Stop(); }

void ClusterController::Start() {
  CHECK(pool_ == nullptr) << "ClusterController::Start() called twice";
  kube::InformerOptions clusters;
  clusters.gvr = KubeFedClustersResource();
  clusters.ns = options_.kubefed_namespace;
  clusters_informer_ = std::make_unique<kube::Informer>(host_, clusters, clock_);
  kube::InformerOptions secrets;
  secrets.gvr = kube::SecretsResource();
  secrets.ns = options_.kubefed_namespace;
  secrets_informer_ = std::make_unique<kube::Informer>(host_, secrets, clock_);

  WorkerPoolOptions po;
  po.name = "kubefedcluster";
  po.workers = options_.workers;
  po.caches.push_back(InformerSyncSource("KubeFedCluster informer", *clusters_informer_));
  po.caches.push_back(InformerSyncSource("Secret informer", *secrets_informer_));
  po.cache_sync_timeout = options_.config.cache_sync_timeout;
  pool_ = std::make_unique<WorkerPool>(reconciler_, metrics_, std::move(po), clock_);

  auto enqueue = [this](const kube::ObjectPtr& cluster) { pool_->Add(Meta(*cluster, "name")); };
  // Our own status writes come back as updates: only a change of what the reconcile reads
  // (spec, labels, deletion) probes again before the period ends.
  clusters_informer_->AddEventHandler(
      {enqueue,
       [this](const kube::ObjectPtr& old, const kube::ObjectPtr& now) {
         if (WatchedFields(*old) != WatchedFields(*now)) pool_->Add(Meta(*now, "name"));
       },
       enqueue});
  // A rotated Secret: the clusters that use it rebuild their clients.
  auto on_secret = [this](const kube::ObjectPtr& secret) { EnqueueClustersUsing(secret); };
  secrets_informer_->AddEventHandler(
      {on_secret,
       [on_secret](const kube::ObjectPtr&, const kube::ObjectPtr& now) { on_secret(now); },
       on_secret});
  secrets_informer_->Start();
  clusters_informer_->Start();
  pool_->Add(kListSyncedKey);
  pool_->Start();
}

void ClusterController::Stop() {
  if (pool_) pool_->Stop();
  if (clusters_informer_) clusters_informer_->Stop();
  if (secrets_informer_) secrets_informer_->Stop();
}

bool ClusterController::Synced() const {
  return clusters_informer_ != nullptr && clusters_informer_->HasSynced() &&
         secrets_informer_->HasSynced();
}

void ClusterController::EnqueueClustersUsing(const kube::ObjectPtr& secret) {
  const std::string name = Meta(*secret, "name");
  for (const kube::ObjectPtr& c : clusters_informer_->List(options_.kubefed_namespace)) {
    const rapidjson::Value* ref = json::FindPath(*c, {"spec", "secretRef"});
    if (ref != nullptr && json::GetString(*ref, "name") == name) pool_->Add(Meta(*c, "name"));
  }
}

absl::StatusOr<ReconcileResult> ClusterController::Reconcile(const std::string& key) {
  if (key == kListSyncedKey) {
    MarkSyncedIfAllProbed();
    return ReconcileResult::Done();
  }
  kube::ObjectPtr cluster = clusters_informer_->Get(options_.kubefed_namespace, key);
  if (cluster == nullptr) {
    Unjoin(key);
    MarkSyncedIfAllProbed();
    return ReconcileResult::Done();
  }
  ClusterState* state = nullptr;
  bool joined = false;
  {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<ClusterState>& s = states_[key];
    if (s == nullptr) {
      s = std::make_unique<ClusterState>(options_.config.health_check_failure_threshold,
                                         options_.config.health_check_success_threshold);
      joined = true;
    }
    // Erased only by this key's own reconcile (Unjoin), so it stays valid until we return.
    state = s.get();
    joined_total_->Set({}, static_cast<double>(states_.size()));
  }
  if (joined) {
    LOG(INFO) << "cluster " << key << " joined";
    SeedFromHostStatus(key, *cluster, state->health);
  }
  Probe(key, cluster, *state);
  MarkSyncedIfAllProbed();
  return ReconcileResult::RequeueAfter(options_.config.health_check_period);
}

void ClusterController::SeedFromHostStatus(const std::string& name,
                                           const rapidjson::Value& cluster,
                                           ClusterHealth& health) {
  const rapidjson::Value* conditions = json::FindPath(cluster, {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return;
  for (const rapidjson::Value& c : conditions->GetArray()) {
    if (json::GetString(c, "type") != ft::kClusterReadyCondition ||
        json::GetString(c, "status") != "True") {
      continue;
    }
    absl::Time since = clock_.Now();  // when the status has no (valid) time
    absl::Time parsed;
    std::string parse_error;
    if (absl::ParseTime(absl::RFC3339_full, json::GetString(c, "lastTransitionTime"), &parsed,
                        &parse_error)) {
      since = parsed;
    }
    health.Seed(ProbeResult::kOk, since);
    VLOG(1) << "cluster " << name << ": Ready in the host's status; a failing probe makes it "
            << "not ready only after " << options_.config.health_check_failure_threshold
            << " in a row";
    return;
  }
}

void ClusterController::Unjoin(const std::string& name) {
  bool known = false;
  std::shared_ptr<kube::Client> retired;
  {
    absl::MutexLock lock(&mu_);
    auto it = states_.find(name);
    if (it != states_.end()) {
      known = true;
      retired = it->second->client;
      states_.erase(it);
    }
    joined_total_->Set({}, static_cast<double>(states_.size()));
  }
  // Whoever still uses the left cluster's client stops waiting to retry.
  if (retired != nullptr) retired->CancelRetries();
  if (options_.status_store != nullptr) options_.status_store->RemoveCluster(name);
  for (const char* state : kStates) cluster_total_->Remove({state, name});
  if (known) LOG(INFO) << "cluster " << name << " unjoined";
  // Last: once the registry no longer lists it, the cluster is gone everywhere.
  registry_.Remove(name);
}

void ClusterController::MarkSyncedIfAllProbed() {
  if (registry_.Synced()) return;
  for (const kube::ObjectPtr& c : clusters_informer_->List(options_.kubefed_namespace)) {
    if (registry_.Get(Meta(*c, "name")) == nullptr) return;
  }
  registry_.MarkSynced();
  if (options_.on_synced) options_.on_synced();
}

void ClusterController::Probe(const std::string& name, const kube::ObjectPtr& cluster,
                              ClusterState& state) {
  const ft::KubeFedConfig& config = options_.config;
  const rapidjson::Value* spec = json::Find(*cluster, "spec");
  const rapidjson::Value* ref = json::FindPath(*cluster, {"spec", "secretRef"});
  kube::ObjectPtr secret =
      ref ? secrets_informer_->Get(options_.kubefed_namespace, json::GetString(*ref, "name"))
          : nullptr;
  const std::string source = absl::StrCat(spec ? json::Serialize(*spec) : "", "|",
                                          secret ? Meta(*secret, "resourceVersion") : "none");

  // (Re)build the clients when the spec or Secret changed: rotated credentials.
  if (source != state.built_from) {
    state.built_from = source;
    // The replaced client's users get the new one from the registry; their retries with the
    // old credentials end now.
    if (state.client != nullptr) state.client->CancelRetries();
    state.client.reset();
    state.probe_client.reset();
    state.config_error.clear();
    absl::StatusOr<kube::RestConfig> rest =
        secret == nullptr
            ? absl::StatusOr<kube::RestConfig>(absl::FailedPreconditionError(
                  absl::StrCat("secret \"", ref ? json::GetString(*ref, "name") : "",
                               "\" not found in namespace ", options_.kubefed_namespace)))
            : kube::ConfigFromKubeFedCluster(*cluster, *secret);
    if (rest.ok()) {
      rest->qps = options_.member_qps;
      rest->burst = options_.member_burst;
      rest->timeout = options_.member_request_timeout;
      absl::StatusOr<std::shared_ptr<kube::Client>> c = factory_(*rest);
      kube::RestConfig probe_config = *rest;
      probe_config.timeout = config.health_check_timeout;
      probe_config.max_retries = 0;
      probe_config.qps = 0;
      absl::StatusOr<std::shared_ptr<kube::Client>> p = factory_(probe_config);
      if (c.ok() && p.ok()) {
        state.client = *c;
        state.probe_client = *p;
        ++state.generation;
      } else {
        state.config_error = std::string((c.ok() ? p.status() : c.status()).message());
      }
    } else {
      state.config_error = std::string(rest.status().message());
    }
    if (!state.config_error.empty()) {
      LOG(WARNING) << "cluster " << name << ": configuration malformed: " << state.config_error;
    }
  }

  // Probe. `detail` names what went wrong, for the condition messages.
  ProbeResult result = ProbeResult::kConfigMalformed;
  std::string detail = state.config_error;
  if (state.probe_client != nullptr) {
    absl::Time start = clock_.Now();
    absl::StatusOr<std::string> body = state.probe_client->GetRaw("/readyz");
    if (!body.ok() && (kube::IsNotFound(body.status()) || kube::IsForbidden(body.status()))) {
      body = state.probe_client->GetRaw("/healthz");
    }
    health_duration_->Observe({}, absl::ToDoubleSeconds(clock_.Now() - start));
    if (body.ok()) {
      result = absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(*body), "ok")
                   ? ProbeResult::kOk
                   : ProbeResult::kNotOk;
      if (result == ProbeResult::kNotOk) {
        detail = absl::StrCat("the health endpoint answered \"", absl::StripAsciiWhitespace(*body),
                              "\"");
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
    if (result == ProbeResult::kOk && state.kubernetes_version.empty()) {
      absl::StatusOr<std::string> version = state.probe_client->GetRaw("/version");
      if (version.ok()) {
        absl::StatusOr<rapidjson::Document> v = json::Parse(*version);
        if (v.ok()) state.kubernetes_version = json::GetString(*v, "gitVersion");
      }
    }
  }
  // Bounded: a status message, not a log (errors from the transport carry no credentials).
  constexpr size_t kMaxDetail = 512;
  if (detail.size() > kMaxDetail) detail = absl::StrCat(detail.substr(0, kMaxDetail), "...");
  ClusterHealth& health = state.health;
  const bool changed = health.Observe(result, clock_.Now(), detail);
  for (const char* s : kStates) {
    cluster_total_->Set({s, name}, std::string(s) == ProbeResultName(health.published()) ? 1 : 0);
  }

  // Status: only when something a user sees changed (or an earlier write failed). While the
  // cache still shows the object our last write replaced, that write is what the host holds:
  // compare with it and write over it (a write over the stale cache would conflict).
  const std::string& kubernetes_version = state.kubernetes_version;
  const kube::ObjectPtr current =
      state.written != nullptr && Meta(*cluster, "resourceVersion") == state.written_over
          ? state.written
          : cluster;
  const rapidjson::Value* status = json::Find(*current, "status");
  const bool version_changed =
      !kubernetes_version.empty() &&
      (status == nullptr || json::GetString(*status, "kubernetesVersion") != kubernetes_version);
  const bool never_written = status == nullptr || json::Find(*status, "conditions") == nullptr;
  if (changed || version_changed || never_written || state.status_pending) {
    rapidjson::Document copy = json::Clone(*current);
    auto& a = copy.GetAllocator();
    rapidjson::Value& st = json::EnsureObject(copy, "status", a);
    json::Set(st, "conditions", health.Conditions(a), a);
    if (!kubernetes_version.empty()) {
      json::SetString(st, "kubernetesVersion", kubernetes_version, a);
    }
    absl::StatusOr<kube::ObjectPtr> written = host_.UpdateStatus(
        KubeFedClustersResource(), options_.kubefed_namespace, copy, {options_.field_manager});
    // A conflict (someone else wrote) or a host error: write again at the next probe. A
    // cluster deleted meanwhile is unjoined by the reconcile its deletion queues.
    state.status_pending = !written.ok() && !kube::IsNotFound(written.status());
    if (written.ok()) {
      state.written = *written;
      state.written_over = Meta(*cluster, "resourceVersion");
    }
    if (!written.ok()) VLOG(1) << "status of cluster " << name << ": " << written.status();
    if (changed) {
      LOG(INFO) << "cluster " << name << " is " << ProbeResultName(health.published())
                << (health.detail().empty() ? "" : absl::StrCat(" (", health.detail(), ")"));
    }
  }

  if (options_.status_store != nullptr) {
    options_.status_store->UpsertCluster(
        ClusterForStatus(name, *cluster, health, kubernetes_version, state.config_error));
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
  member->client = state.client;
  member->client_generation = state.generation;
  if (previous == nullptr || previous->ready != member->ready ||
      previous->not_ready_message != member->not_ready_message ||
      previous->labels != member->labels ||
      previous->client_generation != member->client_generation ||
      previous->client != member->client) {
    registry_.Upsert(member);
  }
}

}  // namespace kfed::controller
