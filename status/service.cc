#include "status/service.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <sstream>

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

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream data;
  data << in.rdbuf();
  return data.str();
}

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

  void SetWatcherLocked(std::shared_ptr<Watcher> watcher) { watcher_ = std::move(watcher); }

  // Starts the next write if none is in flight: the next queued event, else a BOOKMARK when
  // one is due and the watcher has caught up. Ends the stream when the watcher failed.
  void PumpLocked(bool bookmark_due) {
    if (bookmark_due) bookmark_pending_ = true;
    if (finished_ || writing_ || watcher_ == nullptr) return;
    absl::StatusOr<EventPtr> next = watcher_->TryNext();
    if (!next.ok()) {
      FinishLocked(
          absl::IsCancelled(next.status())
              ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the status server is shutting down")
              : ToGrpcStatus(next.status()));
      return;
    }
    EventPtr event = *next;
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
  StatusStore& store_;
  const std::shared_ptr<Shared> shared_;
  const uint64_t id_;
  std::shared_ptr<Watcher> watcher_;
  EventPtr current_;
  bool writing_ = false;
  bool finished_ = false;
  bool bookmark_pending_ = false;
};

FederationStatusService::FederationStatusService(StatusStore& store, std::string version,
                                                 absl::Duration bookmark_interval)
    : store_(store),
      version_(std::move(version)),
      bookmark_interval_(bookmark_interval),
      shared_(std::make_shared<Shared>()) {
  pump_ = std::thread([this] { PumpLoop(); });
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
    s.mu.AwaitWithDeadline(absl::Condition(
                               +[](Shared* shared) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shared->mu) {
                                 return shared->shutdown || !shared->ready.empty();
                               },
                               &s),
                           next_bookmark);
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
  response->set_version(version_);
  return Reply(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FederationStatusService::ListClusters(
    grpc::CallbackServerContext* context, const v1::ListClustersRequest*,
    v1::ListClustersResponse* response) {
  *response = store_.ListClusters();
  return Reply(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FederationStatusService::ListObjects(
    grpc::CallbackServerContext* context, const v1::ListObjectsRequest* request,
    v1::ListObjectsResponse* response) {
  if (!request->state().empty() && !IsClusterState(request->state())) {
    return Reply(context,
                 grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("state \"", request->state(),
                                           "\": want Propagated, Pending, Error or Deleting")));
  }
  *response = store_.ListObjects(*request);
  return Reply(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* FederationStatusService::GetObject(grpc::CallbackServerContext* context,
                                                             const v1::GetObjectRequest* request,
                                                             v1::GetObjectResponse* response) {
  if (request->ref().type().empty() || request->ref().name().empty()) {
    return Reply(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       "ref.type and ref.name are required"));
  }
  absl::StatusOr<v1::GetObjectResponse> found = store_.GetObject(*request);
  if (!found.ok()) return Reply(context, ToGrpcStatus(found.status()));
  *response = std::move(*found);
  return Reply(context, grpc::Status::OK);
}

grpc::ServerWriteReactor<v1::WatchEvent>* FederationStatusService::Watch(
    grpc::CallbackServerContext* context, const v1::WatchRequest* request) {
  uint64_t id = 0;
  {
    absl::MutexLock lock(&shared_->mu);
    id = shared_->next_id++;
  }
  auto* reactor = new WatchReactor(store_, shared_, id);
  // Wakes the pump; runs on a publisher's thread with no store lock held.
  std::weak_ptr<Shared> weak = shared_;
  absl::StatusOr<std::shared_ptr<Watcher>> watcher =
      store_.Watch(request->resume_from(), [weak, id] {
        if (std::shared_ptr<Shared> shared = weak.lock()) {
          absl::MutexLock lock(&shared->mu);
          shared->ready.push_back(id);
        }
      });
  absl::MutexLock lock(&shared_->mu);
  shared_->reactors[id] = reactor;
  if (!watcher.ok()) {
    reactor->FinishLocked(
        absl::IsCancelled(watcher.status())
            ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the status server is shutting down")
            : ToGrpcStatus(watcher.status()));
  } else if (shared_->shutdown) {
    store_.Unwatch(watcher->get());
    reactor->FinishLocked(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "the status server is shutting down"));
  } else {
    reactor->SetWatcherLocked(*watcher);
    reactor->PumpLocked(/*bookmark_due=*/false);
  }
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

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS for the status API needs both a certificate and a key file (or neither for "
        "plaintext)");
  }
  if (!o.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(o.tls_cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(o.tls_key_file);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
    server->tls_ = true;
  } else {
    credentials = grpc::InsecureServerCredentials();
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  server->service_ =
      std::make_unique<FederationStatusService>(store, o.version, o.bookmark_interval);
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
  server->HealthLoopOnce();
  server->health_ = std::thread([s = server.get()] { s->HealthLoop(); });
  return server;
}

void StatusServer::HealthLoopOnce() {
  const bool serving = !options_.ready || options_.ready();
  if (serving == serving_ && health_known_) return;
  serving_ = serving;
  health_known_ = true;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus(kServiceName, serving);
}

void StatusServer::HealthLoop() {
  while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) HealthLoopOnce();
}

StatusServer::~StatusServer() { Stop(); }

void StatusServer::Stop() {
  if (server_ == nullptr) return;
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (health_.joinable()) health_.join();
  service_->Shutdown();
  // Streams whose client stopped reading cannot finish on their own: a second, then cancel.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  server_.reset();
}

}  // namespace kfed::status
