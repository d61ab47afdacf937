#include "status/service.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>


#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kfed::status {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

namespace {

constexpr char kServiceName[] = "kfed.status.v1.FederationStatus";

}  // namespace

// One Watch stream. Every member is guarded by the service's Shared::mu, which the pump
// thread and gRPC's callbacks take; a write is started only when none is in flight, so the
// event being written stays alive in `current_` until OnWriteDone. gRPC calls OnDone on
// another thread once Finish and every write completed; it takes the same mutex before
// deleting, so nothing touches a reactor after it is gone.
class FederationStatusService::WatchReactor : public grpc::ServerWriteReactor<v1::WatchEvent> {
 public:
  WatchReactor(StatusStore& store, std::shared_ptr<Shared> shared, uint64_t id)
      : store_(store), shared_(std::move(shared)), id_(id) {}

  // Once the caller is authenticated (from an access worker).
  void SetWatcherLocked(std::shared_ptr<Watcher> watcher, Caller caller, bool clusters_allowed) {
    watcher_ = std::move(watcher);
    caller_ = std::move(caller);
    clusters_allowed_ = clusters_allowed;
  }
  bool finished() const { return finished_; }

  // After an access worker decided on the held event (the decision is now cached, or the
  // host could not be asked: then the stream ends UNAVAILABLE, failing closed).
  void ResolvedLocked(const absl::Status& status) {
    resolving_ = false;
    if (!status.ok()) {
      held_.reset();
      FinishLocked(ToGrpcStatus(status));
      return;
    }
    PumpLocked(/*bookmark_due=*/false);
  }

  // Starts the next write if none is in flight: the next queued event, else a BOOKMARK when
  // one is due and the watcher has caught up. Ends the stream when the watcher failed.
  void PumpLocked(bool bookmark_due) {
    if (bookmark_due) bookmark_pending_ = true;
    if (finished_ || writing_ || resolving_ || watcher_ == nullptr) return;
    EventPtr event;
    while (true) {
      if (held_ != nullptr) {
        event = std::move(held_);
      } else {
        absl::StatusOr<EventPtr> next = watcher_->TryNext();
        if (!next.ok()) {
          FinishLocked(absl::IsCancelled(next.status())
                           ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                          "the status server is shutting down")
                           : ToGrpcStatus(next.status()));
          return;
        }
        event = *next;
      }
      if (event == nullptr) break;
      // What the caller may not see is skipped; the revision still moves past it.
      if (event->has_cluster() && !clusters_allowed_) continue;
      if (event->has_object()) {
        std::optional<bool> visible =
            shared_->access.CachedMaySeeObject(caller_, event->object().ref());
        if (!visible.has_value()) {
          HoldForDecisionLocked(std::move(event));
          return;
        }
        if (!*visible) continue;
      }
      break;
    }
    if (event == nullptr) {
      if (!bookmark_pending_) return;
      const int64_t revision = watcher_->CaughtUpRevision();
      if (revision < 0) return;  // an event arrived meanwhile: it is pumped next
      auto bookmark = std::make_shared<v1::WatchEvent>();
      bookmark->set_type(v1::WatchEvent::BOOKMARK);
      bookmark->set_revision(revision);
      event = std::move(bookmark);
    }
    if (event->type() == v1::WatchEvent::BOOKMARK) bookmark_pending_ = false;
    current_ = std::move(event);
    writing_ = true;
    StartWrite(current_.get());
  }

  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&shared_->mu);
    writing_ = false;
    current_.reset();
    if (!ok) {
      // The call is gone (cancelled, or the server is shutting down).
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was cancelled"));
      return;
    }
    PumpLocked(/*bookmark_due=*/false);
  }

  void OnCancel() override {
    absl::MutexLock lock(&shared_->mu);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the watch"));
  }

  void OnDone() override {
    std::shared_ptr<Watcher> watcher;
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->reactors.erase(id_);
      watcher = std::move(watcher_);
    }
    if (watcher != nullptr) store_.Unwatch(watcher.get());
    delete this;
  }

 private:
  // Keeps `event` until an access worker has asked the host whether the caller may see it.
  void HoldForDecisionLocked(EventPtr event) {
    shared_->mu.AssertHeld();
    held_ = std::move(event);
    resolving_ = true;
    const v1::ObjectRef ref = held_->object().ref();
    std::weak_ptr<Shared> weak = shared_;
    const uint64_t id = id_;
    Caller caller = caller_;
    shared_->tasks.push_back([weak, id, caller = std::move(caller), ref] {
      std::shared_ptr<Shared> shared = weak.lock();
      if (shared == nullptr) return;
      absl::Status status = shared->access.MaySeeObject(caller, ref).status();
      absl::MutexLock lock(&shared->mu);
      auto it = shared->reactors.find(id);
      if (it != shared->reactors.end()) it->second->ResolvedLocked(status);
    });
  }

  StatusStore& store_;
  const std::shared_ptr<Shared> shared_;
  const uint64_t id_;
  std::shared_ptr<Watcher> watcher_;
  Caller caller_;
  bool clusters_allowed_ = false;
  EventPtr current_;
  EventPtr held_;  // waiting for an access decision
  bool writing_ = false;
  bool resolving_ = false;
  bool finished_ = false;
  bool bookmark_pending_ = false;
};

FederationStatusService::FederationStatusService(StatusStore& store, AccessControl& access,
                                                 std::string version,
                                                 absl::Duration bookmark_interval,
                                                 int access_workers)
    : store_(store),
      version_(std::move(version)),
      bookmark_interval_(bookmark_interval),
      shared_(std::make_shared<Shared>(access)) {
  pump_ = std::thread([this] { PumpLoop(); });
  for (int i = 0; i < std::max(1, access_workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

FederationStatusService::~FederationStatusService() {
  Shutdown();
  // Reactors point at shared_ only, which they co-own; their watchers are unwatched in OnDone.
}

void FederationStatusService::Shutdown() {
  {
    absl::MutexLock lock(&shared_->mu);
    if (!shared_->shutdown) {
      shared_->shutdown = true;
      for (auto& [id, reactor] : shared_->reactors) {
        reactor->FinishLocked(
            grpc::Status(grpc::StatusCode::UNAVAILABLE, "the status server is shutting down"));
      }
    }
  }
  if (pump_.joinable()) pump_.join();
  // The workers answer the calls they hold (the store still answers), then stop.
  {
    absl::MutexLock lock(&shared_->mu);
    shared_->workers_stop = true;
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void FederationStatusService::Submit(std::function<void()> task) {
  absl::MutexLock lock(&shared_->mu);
  shared_->tasks.push_back(std::move(task));
}

void FederationStatusService::WorkerLoop() {
  Shared& s = *shared_;
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&s.mu);
      s.mu.Await(absl::Condition(
          +[](Shared* shared) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared->mu) {
            return shared->workers_stop || !shared->tasks.empty();
          },
          &s));
      if (s.tasks.empty()) return;  // workers_stop and nothing left
      task = std::move(s.tasks.front());
      s.tasks.pop_front();
    }
    task();
  }
}

namespace {

// The call's `authorization` metadata ("" when absent).
std::string Authorization(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

}  // namespace

grpc::ServerUnaryReactor* FederationStatusService::Authenticated(
    grpc::CallbackServerContext* context,
    std::function<grpc::Status(const Caller& caller)> answer) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Submit([this, reactor, authorization = Authorization(*context),
          answer = std::move(answer)] {
    absl::StatusOr<Caller> caller = shared_->access.Authenticate(authorization);
    reactor->Finish(caller.ok() ? answer(*caller) : ToGrpcStatus(caller.status()));
  });
  return reactor;
}

size_t FederationStatusService::ActiveWatches() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->reactors.size();
}

void FederationStatusService::PumpLoop() {
  Shared& s = *shared_;
  absl::Time next_bookmark = absl::Now() + bookmark_interval_;
  absl::MutexLock lock(&s.mu);
  while (true) {
    if (s.reactors.empty()) {
      // No stream: no bookmark timer either (nothing wakes at rest).
      s.mu.Await(absl::Condition(
          +[](Shared* shared) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared->mu) {
            return shared->shutdown || !shared->ready.empty() || !shared->reactors.empty();
          },
          &s));
      next_bookmark = absl::Now() + bookmark_interval_;
    } else {
      s.mu.AwaitWithDeadline(absl::Condition(
                                 +[](Shared* shared) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared->mu) {
                                   return shared->shutdown || !shared->ready.empty() ||
                                          shared->reactors.empty();
                                 },
                                 &s),
                             next_bookmark);
    }
    if (s.shutdown) return;
    std::vector<uint64_t> ready;
    ready.swap(s.ready);
    const bool bookmark_due = absl::Now() >= next_bookmark;
    if (bookmark_due) {
      next_bookmark = absl::Now() + bookmark_interval_;
      for (auto& [id, reactor] : s.reactors) reactor->PumpLocked(/*bookmark_due=*/true);
    }
    for (uint64_t id : ready) {
      auto it = s.reactors.find(id);
      if (it != s.reactors.end()) it->second->PumpLocked(/*bookmark_due=*/false);
    }
  }
}

grpc::ServerUnaryReactor* FederationStatusService::GetVersion(grpc::CallbackServerContext* context,
                                                              const v1::GetVersionRequest*,
                                                              v1::GetVersionResponse* response) {
  return Authenticated(context, [this, response](const Caller&) {
    response->set_version(version_);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FederationStatusService::ListClusters(
    grpc::CallbackServerContext* context, const v1::ListClustersRequest*,
    v1::ListClustersResponse* response) {
  return Authenticated(context, [this, response](const Caller& caller) {
    absl::Status allowed = shared_->access.MayListClusters(caller);
    if (!allowed.ok()) return ToGrpcStatus(allowed);
    *response = store_.ListClusters();
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FederationStatusService::ListObjects(
    grpc::CallbackServerContext* context, const v1::ListObjectsRequest* request,
    v1::ListObjectsResponse* response) {
  return Authenticated(context, [this, request, response](const Caller& caller) {
    if (!request->state().empty() && !IsClusterState(request->state())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("state \"", request->state(),
                                       "\": want Propagated, Pending, Error or Deleting"));
    }
    v1::ListObjectsResponse all = store_.ListObjects(*request);
    response->set_revision(all.revision());
    for (v1::FederatedObject& o : *all.mutable_objects()) {
      absl::StatusOr<bool> seen = shared_->access.MaySeeObject(caller, o.ref());
      if (!seen.ok()) return ToGrpcStatus(seen.status());
      if (*seen) *response->add_objects() = std::move(o);
    }
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FederationStatusService::GetObject(grpc::CallbackServerContext* context,
                                                             const v1::GetObjectRequest* request,
                                                             v1::GetObjectResponse* response) {
  return Authenticated(context, [this, request, response](const Caller& caller) {
    if (request->ref().type().empty() || request->ref().name().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "ref.type and ref.name are required");
    }
    absl::Status allowed = shared_->access.MayGetObject(caller, request->ref());
    if (!allowed.ok()) return ToGrpcStatus(allowed);
    absl::StatusOr<v1::GetObjectResponse> found = store_.GetObject(*request);
    if (!found.ok()) return ToGrpcStatus(found.status());
    *response = std::move(*found);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FederationStatusService::ListSchedulingPreferences(
    grpc::CallbackServerContext* context, const v1::ListSchedulingPreferencesRequest* request,
    v1::ListSchedulingPreferencesResponse* response) {
  return Authenticated(context, [this, request, response](const Caller& caller) {
    absl::StatusOr<v1::ListSchedulingPreferencesResponse> visible =
        VisibleSchedulingPreferences(store_, shared_->access, caller, *request);
    if (!visible.ok()) return ToGrpcStatus(visible.status());
    *response = std::move(*visible);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* FederationStatusService::ListMultiClusterServices(
    grpc::CallbackServerContext* context, const v1::ListMultiClusterServicesRequest* request,
    v1::ListMultiClusterServicesResponse* response) {
  return Authenticated(context, [this, request, response](const Caller& caller) {
    absl::StatusOr<v1::ListMultiClusterServicesResponse> visible =
        VisibleMultiClusterServices(store_, shared_->access, caller, *request);
    if (!visible.ok()) return ToGrpcStatus(visible.status());
    *response = std::move(*visible);
    return grpc::Status::OK;
  });
}

grpc::ServerWriteReactor<v1::WatchEvent>* FederationStatusService::Watch(
    grpc::CallbackServerContext* context, const v1::WatchRequest* request) {
  uint64_t id = 0;
  WatchReactor* reactor = nullptr;
  {
    absl::MutexLock lock(&shared_->mu);
    id = shared_->next_id++;
    reactor = new WatchReactor(store_, shared_, id);
    shared_->reactors[id] = reactor;
  }
  // Authentication may wait on the host: on a worker. Until it is done the stream has no
  // watcher and the pump passes it by.
  Submit([this, id, resume_from = request->resume_from(),
          authorization = Authorization(*context)] {
    absl::StatusOr<Caller> caller = shared_->access.Authenticate(authorization);
    absl::Status failure = caller.status();
    bool clusters_allowed = false;
    if (caller.ok()) {
      // A caller who may not list clusters still watches the objects it may see.
      absl::Status clusters = shared_->access.MayListClusters(*caller);
      clusters_allowed = clusters.ok();
      if (!clusters.ok() && !absl::IsPermissionDenied(clusters)) failure = clusters;
    }
    absl::StatusOr<std::shared_ptr<Watcher>> watcher = absl::UnknownError("not started");
    if (failure.ok()) {
      // Wakes the pump; runs on a publisher's thread with no store lock held.
      std::weak_ptr<Shared> weak = shared_;
      watcher = store_.Watch(resume_from, [weak, id] {
        if (std::shared_ptr<Shared> shared = weak.lock()) {
          absl::MutexLock lock(&shared->mu);
          shared->ready.push_back(id);
        }
      });
    }
    absl::MutexLock lock(&shared_->mu);
    auto it = shared_->reactors.find(id);
    if (it == shared_->reactors.end() || it->second->finished()) {
      if (watcher.ok()) store_.Unwatch(watcher->get());
      return;
    }
    WatchReactor* r = it->second;
    if (!failure.ok()) {
      r->FinishLocked(ToGrpcStatus(failure));
    } else if (!watcher.ok()) {
      r->FinishLocked(absl::IsCancelled(watcher.status())
                          ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         "the status server is shutting down")
                          : ToGrpcStatus(watcher.status()));
    } else if (shared_->shutdown) {
      store_.Unwatch(watcher->get());
      r->FinishLocked(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, "the status server is shutting down"));
    } else {
      r->SetWatcherLocked(*watcher, *caller, clusters_allowed);
      r->PumpLocked(/*bookmark_due=*/false);
    }
  });
  return reactor;
}

// --- StatusServer -------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(StatusStore& store,
                                                                  StatusServerOptions options) {
  std::unique_ptr<StatusServer> server(new StatusServer());
  server->options_ = std::move(options);
  const StatusServerOptions& o = server->options_;
  std::string address = o.address;
  if (absl::StartsWith(address, ":")) address = "0.0.0.0" + address;
  if (address.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("status address \"", o.address, "\" must be host:port or :port"));
  }

  if (o.access == nullptr) {
    return absl::InvalidArgumentError("the status API needs access control (no open mode)");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (o.tls_cert_pem.empty() != o.tls_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "TLS for the status API needs both a certificate and a key (or neither for plaintext)");
  }
  if (!o.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({o.tls_key_pem, o.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
    server->tls_ = true;
  } else {
    credentials = grpc::InsecureServerCredentials();
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  server->service_ =
      std::make_unique<FederationStatusService>(store, *o.access, o.version, o.bookmark_interval);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second controller manager on the same port would
  // silently share it. Make it an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(address, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->service_->Shutdown();
    return absl::UnavailableError(absl::StrCat("cannot serve the status API on ", o.address,
                                               " (address in use or invalid?)"));
  }
  server->SetServing(o.serving_at_start);
  return server;
}

void StatusServer::SetServing(bool serving) {
  absl::MutexLock lock(&health_mu_);
  if (stopped_ || server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus(kServiceName, serving);
}

StatusServer::~StatusServer() { Stop(); }

void StatusServer::Stop() {
  {
    absl::MutexLock lock(&health_mu_);
    if (stopped_ || server_ == nullptr) return;
    stopped_ = true;
  }
  service_->Shutdown();
  // Streams whose client stopped reading cannot finish on their own: a second, then cancel.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  server_.reset();
}

}  // namespace kfed::status
