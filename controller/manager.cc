#include "controller/manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/yaml_json.h"
#include "controller/access_review.h"
#include "controller/kubefed_config_status.h"
#include "federated_types/keys.h"
#include "glog/logging.h"
#include "kube/errors.h"
#include "kube/leader_election.h"
#include "kube/pki.h"
#include "kube/transport.h"
#include "status/http_api.h"

namespace kfed::controller {
namespace ft = ::kfed::federated_types;

absl::StatusOr<std::string> LoopbackAddress(const std::string& address) {
  absl::StatusOr<std::pair<std::string, int>> parsed = ParseListenAddress(address);
  if (!parsed.ok()) return parsed.status();
  const auto& [host, port] = *parsed;
  if (host == "0.0.0.0" && absl::StartsWith(address, ":")) {
    return absl::StrCat("127.0.0.1:", port);
  }
  if (host == "localhost" || host == "::1" || absl::StartsWith(host, "127.")) {
    return host == "::1" ? absl::StrCat("[::1]:", port) : absl::StrCat(host, ":", port);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--insecure-local serves without TLS and so only on loopback addresses; \"", address,
      "\" is not one (use 127.0.0.1:PORT, or drop --insecure-local to serve TLS there)"));
}

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

absl::Status WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write ", tmp));
    out << data;
    if (!out.flush()) return absl::InvalidArgumentError(absl::StrCat("cannot write ", tmp));
  }
  chmod(tmp.c_str(), mode);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

// The TLS material both servers use: the files given, else a self-signed certificate made
// now (and written to `cert_dir` for clients to trust).
absl::StatusOr<kube::ServingCertificate> ServingCertificate(const ManagerOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert-file and --tls-key-file go together (neither: a self-signed certificate)");
  }
  if (!o.tls_cert_file.empty()) {
    kube::ServingCertificate files;
    absl::StatusOr<std::string> cert = ReadPem(o.tls_cert_file, "--tls-cert-file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(o.tls_key_file, "--tls-key-file");
    if (!key.ok()) return key.status();
    files.cert_chain_pem = *cert;
    files.key_pem = *key;
    return files;
  }
  kube::ServingCertificate made = kube::MakeServingCertificate("kfed-controller-manager");
  if (!o.cert_dir.empty()) {
    mkdir(o.cert_dir.c_str(), 0755);
    for (const auto& [name, data, mode] :
         {std::make_tuple("tls.crt", made.cert_chain_pem, 0644),
          std::make_tuple("tls.key", made.key_pem, 0600),
          std::make_tuple("ca.crt", made.ca_pem, 0644)}) {
      absl::Status written = WriteFile(absl::StrCat(o.cert_dir, "/", name), data, mode);
      if (!written.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--cert-dir: ", written.message()));
      }
    }
    LOG(INFO) << "generated a self-signed serving certificate; clients trust " << o.cert_dir
              << "/ca.crt";
  } else {
    LOG(INFO) << "generated a self-signed serving certificate (pass --cert-dir to write it for "
                 "clients, or --tls-cert-file/--tls-key-file to use your own)";
  }
  return made;
}

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
}

Manager::~Manager() {
  StopControllers();  // also ends the status streams and long polls
  registry_.RemoveListener(registry_listener_);
  if (memory_trimmer_ != nullptr) memory_trimmer_->Stop();
  metrics_server_.reset();
  healthz_server_.reset();
  // No thread calls Readiness() any more.
  absl::MutexLock lock(&mu_);
  running_cluster_controller_ = nullptr;
  running_type_config_controller_ = nullptr;
}

// The annotation the chart puts on KubeFedConfig `kubefed`: a checksum of its spec as rendered.
constexpr char kKubeFedConfigChecksumAnnotation[] = "kfed.io/chart-checksum";
// Long enough for a Helm upgrade to apply the rest of its objects on a loaded apiserver; a Pod
// that gives up exits with an error and its restart looks again.
constexpr absl::Duration kKubeFedConfigChecksumWait = absl::Minutes(2);

absl::Status Manager::AwaitKubeFedConfigChecksum(const CancellationToken& stop) {
  if (options_.kubefed_config_checksum.empty() || !options_.kubefed_config_file.empty()) {
    return absl::OkStatus();
  }
  Clock& clock = Clock::Real();
  const absl::Time deadline = clock.Now() + kKubeFedConfigChecksumWait;
  const std::string qualified =
      absl::StrCat(options_.kubefed_namespace, "/", ft::kKubeFedConfigName);
  bool logged = false;
  while (true) {
    absl::StatusOr<kube::ObjectPtr> got =
        host_->Get(KubeFedConfigsResource(), options_.kubefed_namespace, ft::kKubeFedConfigName);
    std::string have = "no KubeFedConfig";
    if (got.ok()) {
      const rapidjson::Value* value =
          json::FindPath(**got, {"metadata", "annotations", kKubeFedConfigChecksumAnnotation});
      have = value != nullptr && value->IsString() ? value->GetString() : "no checksum";
      if (have == options_.kubefed_config_checksum) {
        if (logged) LOG(INFO) << "KubeFedConfig " << qualified << " has this Pod's settings now";
        return absl::OkStatus();
      }
    } else if (!kube::IsNotFound(got.status())) {
      have = std::string(got.status().message());
    }
    if (!logged) {
      LOG(INFO) << "waiting for KubeFedConfig " << qualified << " to carry "
                << kKubeFedConfigChecksumAnnotation << "=" << options_.kubefed_config_checksum
                << " (the settings this Pod was rendered with; Helm applies it after the "
                   "Deployment); now: "
                << have;
      logged = true;
    }
    if (clock.Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "KubeFedConfig ", qualified, " did not get ", kKubeFedConfigChecksumAnnotation, "=",
          options_.kubefed_config_checksum, " within ",
          absl::FormatDuration(kKubeFedConfigChecksumWait), " (", have,
          "): was the chart's upgrade applied? (--kubefed-config-checksum)"));
    }
    if (stop.WaitFor(clock, absl::Seconds(1))) {
      return absl::CancelledError("stopped while waiting for KubeFedConfig");
    }
  }
}

absl::StatusOr<ft::KubeFedConfig> Manager::LoadKubeFedConfig() {
  const kube::GroupVersionResource gvr = KubeFedConfigsResource();
  std::string qualified = absl::StrCat(options_.kubefed_namespace, "/", ft::kKubeFedConfigName);
  absl::StatusOr<kube::ObjectPtr> existing;
  if (!options_.kubefed_config_file.empty()) {
    // KubeFed's --kubefed-config (a test flag there): the settings come from the file and
    // nothing is written to the host.
    const std::string& path = options_.kubefed_config_file;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kubefed-config: cannot read KubeFedConfig file \"", path, "\""));
    }
    absl::StatusOr<rapidjson::Document> doc = yaml::ParseYaml(text.str());
    if (!doc.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--kubefed-config: cannot decode KubeFedConfig from file \"", path, "\": ",
          doc.status().message()));
    }
    const rapidjson::Value* name = json::FindPath(*doc, {"metadata", "name"});
    if (name != nullptr && name->IsString()) {
      qualified = absl::StrCat(options_.kubefed_namespace, "/", name->GetString());
    }
    LOG(INFO) << "Setting Options with KubeFedConfig from file \"" << path << "\"";
    existing = kube::ObjectPtr(std::make_shared<rapidjson::Document>(std::move(*doc)));
  } else {
    existing = host_->Get(gvr, options_.kubefed_namespace, ft::kKubeFedConfigName);
    if (kube::IsNotFound(existing.status())) {
      LOG(INFO) << "KubeFedConfig " << qualified
                << " not found: creating it with KubeFed's defaults";
      rapidjson::Document defaults =
          ft::KubeFedConfigToJson(ft::DefaultKubeFedConfig(), options_.kubefed_namespace);
      existing = host_->Create(gvr, options_.kubefed_namespace, defaults, {"kfed"});
      if (kube::IsAlreadyExists(existing.status())) {
        existing = host_->Get(gvr, options_.kubefed_namespace, ft::kKubeFedConfigName);
      }
    }
  }
  if (!existing.ok()) {
    return absl::Status(existing.status().code(),
                        absl::StrCat("reading KubeFedConfig ", qualified, ": ",
                                     existing.status().message(),
                                     " (are kfed's CRDs installed in the host? kubectl apply -f "
                                     "federated_types/crds/)"));
  }
  absl::StatusOr<ft::KubeFedConfig> config = ft::ParseKubeFedConfig(**existing);
  if (config.ok()) {
    absl::Status valid = ft::ValidateKubeFedConfig(*config);
    if (!valid.ok()) config = valid;
  }
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid KubeFedConfig \"", qualified,
                                                   "\": ", config.status().message()));
  }
  // The line KubeFed logs (operators and KubeFed's e2e suite look for it).
  LOG(INFO) << "Using valid KubeFedConfig \"" << qualified << "\"";
  return config;
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
  if (status_server_) status_server_->Stop();
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
  std::string metrics_addr = options_.metrics_addr;
  std::string status_addr = options_.status_addr;
  kube::ServingCertificate tls;
  if (options_.insecure_local) {
    absl::StatusOr<std::string> m = LoopbackAddress(metrics_addr);
    if (!m.ok()) return m.status();
    metrics_addr = *m;
    if (!status_addr.empty()) {
      absl::StatusOr<std::string> st = LoopbackAddress(status_addr);
      if (!st.ok()) return st.status();
      status_addr = *st;
    }
  } else {
    absl::StatusOr<kube::ServingCertificate> cert = ServingCertificate(options_);
    if (!cert.ok()) return cert.status();
    tls = std::move(*cert);
  }

  auto readiness = [this] { return Readiness(); };
  // /metrics needs `get` on the non-resource URL /metrics (controller-runtime's rule).
  status::AccessControl* access = access_.get();
  HttpServerOptions metrics_options;
  metrics_options.tls_cert_pem = tls.cert_chain_pem;
  metrics_options.tls_key_pem = tls.key_pem;
  metrics_options.metrics = &metrics_;
  metrics_options.metrics_guard =
      [access](const HttpRequest& request) -> std::optional<HttpResponse> {
    absl::StatusOr<status::Caller> caller = access->Authenticate(request.authorization);
    absl::Status allowed =
        caller.ok() ? access->MayGetNonResource(*caller, "/metrics") : caller.status();
    if (allowed.ok()) return std::nullopt;
    status::HttpReply reply = status::AccessErrorReply(allowed);
    return HttpResponse{reply.status, reply.content_type, reply.body, reply.headers};
  };
  const bool shared_server = options_.healthz_addr == options_.metrics_addr;
  if (!shared_server) {
    // Probes only: plain HTTP, no data.
    absl::StatusOr<std::unique_ptr<HttpServer>> healthz =
        HttpServer::Create(readiness, HttpServerOptions{});
    if (!healthz.ok()) return healthz.status();
    healthz_server_ = std::move(*healthz);
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> metrics =
      HttpServer::Create(readiness, metrics_options);
  if (!metrics.ok()) return metrics.status();
  metrics_server_ = std::move(*metrics);
  if (memory_trimmer_ == nullptr) {
    memory_trimmer_ = std::make_unique<MemoryTrimmer>(metrics_);
    memory_trimmer_->Start();
  }
  // The dashboard and its API (status/http_api.h) on the metrics server.
  auto api = std::make_shared<status::HttpApi>(*status_store_, *access_, kube::kKfedVersion);
  metrics_server_->Get("/.*", [api](const HttpRequest& request, HttpResponse* response) {
    status::HttpReply reply = api->Get(request.path, request.params, request.authorization);
    response->status = reply.status;
    response->content_type = std::move(reply.content_type);
    response->body = std::move(reply.body);
    response->headers = std::move(reply.headers);
  });
  absl::StatusOr<int> mp = metrics_server_->Start(metrics_addr);
  if (!mp.ok()) return mp.status();
  metrics_port_ = *mp;
  if (healthz_server_ != nullptr) {
    absl::StatusOr<int> hp = healthz_server_->Start(options_.healthz_addr);
    if (!hp.ok()) return hp.status();
    healthz_port_ = *hp;
  } else {
    healthz_port_ = *mp;
  }
  const char* scheme = metrics_server_->tls() ? "https" : "http";
  LOG(INFO) << "serving /healthz and /readyz on " << options_.healthz_addr << " (port "
            << healthz_port_.load() << "); " << scheme << "://" << metrics_addr << " (port "
            << metrics_port_.load()
            << "): /metrics, the dashboard and /api/v1, for callers with a bearer token the "
               "host's RBAC allows";

  if (status_addr.empty()) {
    LOG(INFO) << "the gRPC status API is disabled (--status-addr=\"\")";
    return absl::OkStatus();
  }
  status::StatusServerOptions so;
  so.address = status_addr;
  so.tls_cert_pem = tls.cert_chain_pem;
  so.tls_key_pem = tls.key_pem;
  so.access = access_.get();
  so.version = kube::kKfedVersion;
  // NOT_SERVING until readiness_ tells it otherwise (at once when it subscribes below).
  so.serving_at_start = false;
  absl::StatusOr<std::unique_ptr<status::StatusServer>> server =
      status::StatusServer::Start(*status_store_, so);
  if (!server.ok()) return server.status();
  status_server_ = std::move(*server);
  status_port_ = status_server_->port();
  {
    absl::MutexLock lifecycle(&lifecycle_mu_);
    if (!controllers_stopped_) {
      status::StatusServer* health = status_server_.get();
      health_observer_ =
          readiness_.AddObserver([health](bool ready, const absl::Status&) {
            health->SetServing(ready);
          });
    }
  }
  LOG(INFO) << "serving the gRPC status API (kfed.status.v1.FederationStatus, health, "
               "reflection) on "
            << status_addr << " (port " << status_port_.load() << ") "
            << (status_server_->tls() ? "with TLS" : "in plaintext (--insecure-local)");
  return absl::OkStatus();
}

absl::Status Manager::Run(const CancellationToken& stop) {
  absl::Status serving = StartServing();
  if (!serving.ok()) return serving;

  absl::Status awaited = AwaitKubeFedConfigChecksum(stop);
  if (absl::IsCancelled(awaited)) return absl::OkStatus();
  if (!awaited.ok()) return awaited;
  absl::StatusOr<ft::KubeFedConfig> config = LoadKubeFedConfig();
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
