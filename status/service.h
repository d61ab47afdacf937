// The gRPC status API (status.proto's FederationStatus) over the status store, and the server
// the controller manager runs it in: optional TLS, the standard health service (SERVING while
// the process is ready) and server reflection.
//
// Watch streams use gRPC's callback API, so a stream holds no thread: one pump thread per
// service starts each stream's next write when its watcher has events (or a bookmark is due)
// and the previous write has completed. A client that reads slowly therefore only fills its
// own watcher queue (bounded, see StoreOptions); when that overflows the store drops the
// watcher and the stream ends with OUT_OF_RANGE ("fell behind: list again and watch from the
// list's revision"). A client that stops reading entirely holds at most the transport's flow
// control window; it sees the events already sent and then OUT_OF_RANGE once it reads again.
//
// Every FederationStatus call needs metadata `authorization: Bearer <token>` and sees only
// what the host's RBAC lets the token's user see (status/access.h): UNAUTHENTICATED,
// PERMISSION_DENIED, or UNAVAILABLE when the host cannot be asked. Reviews may wait on the
// network, so they run on the service's own access workers, never on gRPC's threads or the
// pump: a unary call is answered from a worker; a Watch stream whose next object needs a
// decision that is not cached holds that event, a worker asks the host, and the pump goes
// on with the stream after. Health and reflection stay open (they hold no object data).
#ifndef KFED_STATUS_SERVICE_H_
#define KFED_STATUS_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "status/access.h"
#include "status/status.grpc.pb.h"
#include "status/store.h"

namespace kfed::status {

// absl and gRPC share the canonical status codes.
grpc::Status ToGrpcStatus(const absl::Status& status);

class FederationStatusService final : public v1::FederationStatus::CallbackService {
 public:
  // `store` and `access` must outlive the service. BOOKMARK events are sent on idle streams
  // every `bookmark_interval`. `access_workers` threads carry out the access reviews.
  FederationStatusService(StatusStore& store, AccessControl& access, std::string version,
                          absl::Duration bookmark_interval = absl::Seconds(10),
                          int access_workers = 4);
  // Call Shutdown() and shut the server down first.
  ~FederationStatusService() override;

  // Ends every Watch stream (UNAVAILABLE) and stops the pump thread and the access workers
  // (after the calls they hold are answered). Idempotent.
  void Shutdown();
  // Watch streams not yet done.
  size_t ActiveWatches() const;

  grpc::ServerUnaryReactor* GetVersion(grpc::CallbackServerContext* context,
                                       const v1::GetVersionRequest* request,
                                       v1::GetVersionResponse* response) override;
  grpc::ServerUnaryReactor* ListClusters(grpc::CallbackServerContext* context,
                                         const v1::ListClustersRequest* request,
                                         v1::ListClustersResponse* response) override;
  grpc::ServerUnaryReactor* ListObjects(grpc::CallbackServerContext* context,
                                        const v1::ListObjectsRequest* request,
                                        v1::ListObjectsResponse* response) override;
  grpc::ServerUnaryReactor* GetObject(grpc::CallbackServerContext* context,
                                      const v1::GetObjectRequest* request,
                                      v1::GetObjectResponse* response) override;
  grpc::ServerUnaryReactor* ListSchedulingPreferences(
      grpc::CallbackServerContext* context, const v1::ListSchedulingPreferencesRequest* request,
      v1::ListSchedulingPreferencesResponse* response) override;
  grpc::ServerUnaryReactor* ListMultiClusterServices(
      grpc::CallbackServerContext* context, const v1::ListMultiClusterServicesRequest* request,
      v1::ListMultiClusterServicesResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchEvent>* Watch(grpc::CallbackServerContext* context,
                                                  const v1::WatchRequest* request) override;

 private:
  class WatchReactor;
  // State shared with the watchers' wake-up callbacks, which may run (on a publisher's
  // thread) until the store forgets the watcher.
  struct Shared {
    explicit Shared(AccessControl& a) : access(a) {}
    AccessControl& access;
    absl::Mutex mu;
    std::map<uint64_t, WatchReactor*> reactors ABSL_GUARDED_BY(mu);
    std::vector<uint64_t> ready ABSL_GUARDED_BY(mu);
    // Work for the access workers (reviews that may wait on the host).
    std::deque<std::function<void()>> tasks ABSL_GUARDED_BY(mu);
    bool shutdown ABSL_GUARDED_BY(mu) = false;
    bool workers_stop ABSL_GUARDED_BY(mu) = false;
    uint64_t next_id ABSL_GUARDED_BY(mu) = 0;
  };
  void PumpLoop();
  void WorkerLoop();
  // Queues `task` for an access worker.
  void Submit(std::function<void()> task);
  // Runs `answer(caller)` on a worker once the call's token is authenticated; answers the
  // call itself when it is not.
  grpc::ServerUnaryReactor* Authenticated(
      grpc::CallbackServerContext* context,
      std::function<grpc::Status(const Caller& caller)> answer);

  StatusStore& store_;
  const std::string version_;
  const absl::Duration bookmark_interval_;
  const std::shared_ptr<Shared> shared_;
  std::thread pump_;
  std::vector<std::thread> workers_;
};

struct StatusServerOptions {
  // "host:port", ":port" (all interfaces) or port 0 for any free port.
  std::string address = ":9091";
  // Both set: TLS with this certificate chain and key (PEM text). Both empty: plaintext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Required: who may read what.
  AccessControl* access = nullptr;
  std::string version;
  absl::Duration bookmark_interval = absl::Seconds(10);
  // What the health service answers until SetServing() is called. The controller manager
  // starts NOT_SERVING and pushes its readiness (controller/readiness.h).
  bool serving_at_start = true;
};

// FederationStatus plus grpc.health.v1.Health and server reflection on one port.
class StatusServer {
 public:
  static absl::StatusOr<std::unique_ptr<StatusServer>> Start(StatusStore& store,
                                                             StatusServerOptions options);
  ~StatusServer();

  int port() const { return port_; }
  bool tls() const { return tls_; }
  FederationStatusService& service() { return *service_; }
  // Sets the health service (overall and for FederationStatus) to SERVING or NOT_SERVING.
  // Pushed by whoever decides readiness when it changes; nothing polls. Any thread; does
  // nothing after Stop().
  void SetServing(bool serving) ABSL_LOCKS_EXCLUDED(health_mu_);
  // Ends the streams, stops serving (in-flight calls get a second) and joins. Idempotent.
  void Stop();

 private:
  StatusServer() = default;

  StatusServerOptions options_;
  std::unique_ptr<FederationStatusService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool tls_ = false;
  // Orders SetServing against Stop(): gRPC's health service is only told while the server
  // runs. (SetServingStatus only updates gRPC's in-memory state and wakes its watchers.)
  absl::Mutex health_mu_;
  bool stopped_ ABSL_GUARDED_BY(health_mu_) = false;
};

}  // namespace kfed::status

#endif  // KFED_STATUS_SERVICE_H_
