// HTTP(S) to one API server over libcurl.
//
// Connections: every request, watches included, runs on one curl multi handle per
// transport, driven by its own thread, with HTTP/2 multiplexing: when the server speaks
// HTTP/2 (kube-apiserver does, over TLS), all requests and watches to a cluster share one
// connection (curl waits for the first connection to confirm HTTP/2 before opening
// others). Over HTTP/1.1 each request in flight needs its own connection; idle ones are
// reused from the multi handle's connection cache.
//
// Every request passes a client-side token bucket (RestConfig::qps/burst). Do() retries
// 429 (honouring Retry-After) on every verb, and 5xx / connection failures on idempotent
// verbs (GET, HEAD, PUT, DELETE), with exponential backoff (200ms..10s, up to 10% random
// jitter on top, drawn from each call's own absl::BitGen) on the injected clock; Retry-After
// is honoured as given. The wait between attempts ends at once when the request's
// `cancel` token or the transport's own (CancelRetries()) is cancelled.
#ifndef KFED_KUBE_TRANSPORT_H_
#define KFED_KUBE_TRANSPORT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "kube/config.h"
#include "kube/rate_limiter.h"

namespace kfed::kube {

inline constexpr char kKfedVersion[] = "0.1.0";

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // absolute path, with the query string already encoded
  std::string body;
  std::string content_type;  // of the body
  std::string accept = "application/json";
  // Zero: RestConfig::timeout. absl::InfiniteDuration(): no overall limit (watches).
  absl::Duration timeout = absl::ZeroDuration();
  // Order among the requests waiting for the client's QPS limiter.
  RequestPriority priority = RequestPriority::kNormal;
  // Optional (not owned; must outlive Do()): cancelling it ends a wait between retries at
  // once (Do() returns kCancelled). An attempt on the wire runs to its own timeout.
  const CancellationToken* cancel = nullptr;
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string retry_after;
};

class Transport {
 public:
  // Validates the TLS material and sets up the pool. No network traffic.
  static absl::StatusOr<std::unique_ptr<Transport>> Create(RestConfig config,
                                                           Clock& clock = Clock::Real());
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Sends `request` (rate-limited, retried as described above) and returns the final
  // response whatever its HTTP status; transport failures come back as errors from
  // StatusFromCurl. Thread-safe.
  absl::StatusOr<HttpResponse> Do(const HttpRequest& request);

  // Sends a long-running request and hands the body to `on_data` as it arrives, until the
  // server ends the response (OK), `on_data` returns false (OK), `stop` is cancelled
  // (kCancelled) or the connection fails (kUnavailable / kDeadlineExceeded). A non-2xx
  // response is returned as its mapped error and `on_data` is not called. Not retried.
  // Thread-safe. The bytes are received on the transport's multi thread (multiplexed over
  // HTTP/2 with other requests) and `on_data` runs on the calling thread. Every Stream()
  // must have returned before the Transport is destroyed.
  absl::Status Stream(const HttpRequest& request,
                      const std::function<bool(absl::string_view)>& on_data,
                      const CancellationToken* stop);

  // `status` with the bearer token (static or from the token file) blanked out of its
  // message; for errors that quote response bodies.
  absl::Status RedactCredentials(const absl::Status& status);

  // Ends every wait between retries now and later (their Do() returns kCancelled): for a
  // client being retired (its cluster left, the process stops), whose callers should not
  // sleep through backoffs of up to 10 s each. Attempts on the wire are not interrupted.
  // Idempotent; thread-safe.
  void CancelRetries() { retries_cancelled_.Cancel(); }

  const RestConfig& config() const { return config_; }
  const std::string& user_agent() const { return user_agent_; }
  // Requests sent on the wire (including retries), for tests and metrics.
  int64_t requests_sent() const;
  // New connections opened so far (curl's CURLINFO_NUM_CONNECTS summed); with HTTP/2,
  // any number of concurrent requests and watches add up to one.
  int64_t connections_opened() const;

 private:
  struct Impl;
  struct Transfer;
  Transport(RestConfig config, Clock& clock);

  // Sets every option of `h` for `request`; `t` holds what must outlive the transfer.
  void Setup(CURL* h, const HttpRequest& request, Transfer& t);
  // The outcome of a finished transfer.
  absl::Status Finish(CURL* h, CURLcode rc, Transfer& t);
  absl::Status Perform(const HttpRequest& request, HttpResponse& out);
  std::string BearerToken() ABSL_LOCKS_EXCLUDED(token_mu_);

  const RestConfig config_;
  Clock& clock_;
  TokenBucket limiter_;
  std::string user_agent_;
  std::unique_ptr<Impl> impl_;
  // The `host` of client-go's request metrics (kube/request_metrics.h).
  const std::string request_host_;
  CancellationToken retries_cancelled_;

  // Re-runs the exec plugin (when configured) for a fresh token.
  void RefreshExecToken() ABSL_LOCKS_EXCLUDED(token_mu_);

  absl::Mutex token_mu_;
  std::string file_token_ ABSL_GUARDED_BY(token_mu_);
  absl::Time file_token_read_ ABSL_GUARDED_BY(token_mu_) = absl::InfinitePast();
  std::string exec_token_ ABSL_GUARDED_BY(token_mu_);
  absl::Time exec_expiry_ ABSL_GUARDED_BY(token_mu_) = absl::InfiniteFuture();
};

// Percent-encodes a query parameter value.
std::string QueryEscape(absl::string_view value);

}  // namespace kfed::kube

#endif  // KFED_KUBE_TRANSPORT_H_
