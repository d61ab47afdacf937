// The dynamic Kubernetes API client: every verb over RapidJSON documents.
//
// `Client` is the seam: RestClient talks to a real API server; FakeClient
// (kube/client_fake.h) keeps objects in memory for controller unit tests.
//
// Contract for all implementations: thread-safe; errors are the absl codes documented in
// kube/errors.h (test them with kube::IsNotFound(s), kube::IsConflict(s), ...); returned
// objects are immutable snapshots that may be shared freely across threads.
#ifndef KFED_KUBE_CLIENT_H_
#define KFED_KUBE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "kube/config.h"
#include "kube/resource.h"
#include "kube/transport.h"
#include "rapidjson/document.h"

namespace kfed::kube {

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // 0: everything in one response
  std::string continue_token;
  // "" : most recent (quorum read); "0": any (served from the watch cache).
  std::string resource_version;
};

struct ObjectList {
  std::vector<ObjectPtr> items;  // each item its own snapshot
  std::string resource_version;  // of the list, to start a watch from
  std::string continue_token;    // non-empty when more pages remain
  int64_t remaining_item_count = -1;  // -1 when the server did not say
};

struct WriteOptions {
  std::string field_manager;
  bool dry_run = false;
  // Served before kNormal requests waiting for the client's QPS limiter (RestClient).
  RequestPriority priority = RequestPriority::kNormal;
};

enum class PatchType {
  kJson,            // application/json-patch+json (RFC 6902)
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in types only)
  kApply,           // application/apply-patch+yaml: server-side apply (JSON is valid YAML)
};

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply: take ownership of conflicting fields
  bool dry_run = false;
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Orphan", "Background", "Foreground"
  std::optional<int64_t> grace_period_seconds;
  std::string precondition_uid;
  std::string precondition_resource_version;
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // start after this version ("" : from now, with no replay)
  bool allow_bookmarks = true;
  // Asks the server to end the watch after this long (it picks a random value near this);
  // 0: the server's default (minRequestTimeout-based, 30-60 minutes).
  int64_t timeout_seconds = 0;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
absl::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object; for kBookmark only metadata.resourceVersion is meaningful; for kError a
  // metav1.Status.
  ObjectPtr object;
};

// Return false to end the watch.
using WatchHandler = std::function<bool(const WatchEvent&)>;

class Client {
 public:
  virtual ~Client() = default;

  virtual absl::StatusOr<ObjectPtr> Get(const GroupVersionResource& gvr, absl::string_view ns,
                                        absl::string_view name) = 0;
  virtual absl::StatusOr<ObjectList> List(const GroupVersionResource& gvr, absl::string_view ns,
                                          const ListOptions& options) = 0;
  // `ns` empty: the object's metadata.namespace.
  virtual absl::StatusOr<ObjectPtr> Create(const GroupVersionResource& gvr, absl::string_view ns,
                                           const rapidjson::Value& object,
                                           const WriteOptions& options) = 0;
  // PUT; metadata.resourceVersion, when set, makes the write conditional (kAborted on
  // conflict).
  virtual absl::StatusOr<ObjectPtr> Update(const GroupVersionResource& gvr, absl::string_view ns,
                                           const rapidjson::Value& object,
                                           const WriteOptions& options) = 0;
  // PUT to the status subresource.
  virtual absl::StatusOr<ObjectPtr> UpdateStatus(const GroupVersionResource& gvr,
                                                 absl::string_view ns,
                                                 const rapidjson::Value& object,
                                                 const WriteOptions& options) = 0;
  // `subresource` e.g. "status" or "".
  virtual absl::StatusOr<ObjectPtr> Patch(const GroupVersionResource& gvr, absl::string_view ns,
                                          absl::string_view name, PatchType type,
                                          absl::string_view patch, const PatchOptions& options,
                                          absl::string_view subresource = "") = 0;
  virtual absl::Status Delete(const GroupVersionResource& gvr, absl::string_view ns,
                              absl::string_view name, const DeleteOptions& options) = 0;
  virtual absl::Status DeleteCollection(const GroupVersionResource& gvr, absl::string_view ns,
                                        const DeleteOptions& options,
                                        const ListOptions& list_options) = 0;

  // One watch connection: calls `handler` on the calling thread for each event, in order,
  // until the server ends the watch (OK: resume from the last resourceVersion seen), the
  // handler returns false (OK), `stop` is cancelled (kCancelled) or the connection fails.
  // ERROR events are passed to the handler. Resuming, relisting and backoff are the job of
  // kube/watch.h.
  virtual absl::Status Watch(const GroupVersionResource& gvr, absl::string_view ns,
                             const WatchOptions& options, const WatchHandler& handler,
                             const CancellationToken* stop) = 0;

  // A raw GET of a non-resource path (/readyz, /healthz, /version, /openapi/v3, discovery);
  // returns the body.
  virtual absl::StatusOr<std::string> GetRaw(absl::string_view path) = 0;
  // GetRaw with an explicit Accept header (content negotiation, e.g. aggregated
  // discovery). The default ignores `accept`.
  virtual absl::StatusOr<std::string> GetRawAs(absl::string_view path, absl::string_view accept) {
    return GetRaw(path);
  }

  // The client is being retired (its cluster left, its credentials were replaced): waits
  // between retries of its requests end now and later ones are not retried (kCancelled), so
  // that workers still holding it stop promptly instead of sleeping through backoffs. Requests
  // on the wire run to their own timeout. The default does nothing (clients without retries).
  virtual void CancelRetries() {}
};

// Decodes a watch stream (one JSON object per line) incrementally: Feed() takes whatever
// bytes arrived and calls the handler for every complete event.
class WatchDecoder {
 public:
  // kInternal for a malformed event (the stream should be dropped). Stops calling the
  // handler once it returns false (see stopped()).
  absl::Status Feed(absl::string_view data, const WatchHandler& handler);
  bool stopped() const { return stopped_; }
  // Bytes of an incomplete event held back; non-zero at the end of a stream means the
  // stream was cut mid-event.
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  bool stopped_ = false;
};

// Parses one watch event line: {"type":"ADDED","object":{...}}. The object is moved out of
// the event's document without copying.
absl::StatusOr<WatchEvent> DecodeWatchEvent(absl::string_view line);

// Parses a list response body into per-item snapshots.
absl::StatusOr<ObjectList> DecodeList(absl::string_view body);

// The client for a real API server.
class RestClient : public Client {
 public:
  static absl::StatusOr<std::unique_ptr<RestClient>> Create(RestConfig config,
                                                            Clock& clock = Clock::Real());
  explicit RestClient(std::unique_ptr<Transport> transport);

  absl::StatusOr<ObjectPtr> Get(const GroupVersionResource& gvr, absl::string_view ns,
                                absl::string_view name) override;
  absl::StatusOr<ObjectList> List(const GroupVersionResource& gvr, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::StatusOr<ObjectPtr> Create(const GroupVersionResource& gvr, absl::string_view ns,
                                   const rapidjson::Value& object,
                                   const WriteOptions& options) override;
  absl::StatusOr<ObjectPtr> Update(const GroupVersionResource& gvr, absl::string_view ns,
                                   const rapidjson::Value& object,
                                   const WriteOptions& options) override;
  absl::StatusOr<ObjectPtr> UpdateStatus(const GroupVersionResource& gvr, absl::string_view ns,
                                         const rapidjson::Value& object,
                                         const WriteOptions& options) override;
  absl::StatusOr<ObjectPtr> Patch(const GroupVersionResource& gvr, absl::string_view ns,
                                  absl::string_view name, PatchType type, absl::string_view patch,
                                  const PatchOptions& options,
                                  absl::string_view subresource = "") override;
  absl::Status Delete(const GroupVersionResource& gvr, absl::string_view ns,
                      absl::string_view name, const DeleteOptions& options) override;
  absl::Status DeleteCollection(const GroupVersionResource& gvr, absl::string_view ns,
                                const DeleteOptions& options,
                                const ListOptions& list_options) override;
  absl::Status Watch(const GroupVersionResource& gvr, absl::string_view ns,
                     const WatchOptions& options, const WatchHandler& handler,
                     const CancellationToken* stop) override;
  absl::StatusOr<std::string> GetRaw(absl::string_view path) override;
  absl::StatusOr<std::string> GetRawAs(absl::string_view path, absl::string_view accept) override;

  Transport& transport() { return *transport_; }
  void CancelRetries() override { transport_->CancelRetries(); }

 private:
  absl::StatusOr<HttpResponse> Call(HttpRequest request);
  absl::StatusOr<ObjectPtr> CallForObject(HttpRequest request);
  absl::StatusOr<ObjectPtr> Put(const GroupVersionResource& gvr, absl::string_view ns,
                                const rapidjson::Value& object, const WriteOptions& options,
                                absl::string_view subresource);

  std::unique_ptr<Transport> transport_;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_CLIENT_H_
