// Watches that survive: ResumingWatch runs Client::Watch connections back to back,
// resuming from the last resourceVersion seen (events and bookmarks), reconnecting with
// exponential backoff after failures, and reporting "too old" (410 Gone / Expired, as an
// HTTP status or an ERROR event) so the caller relists.
#ifndef KFED_KUBE_WATCH_H_
#define KFED_KUBE_WATCH_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/cancellation.h"
#include "base/clock.h"
#include "kube/backoff.h"
#include "kube/client.h"

namespace kfed::kube {

struct ResumingWatchOptions {
  WatchOptions watch;  // watch.resource_version: where to start
  absl::Duration initial_backoff = absl::Milliseconds(800);  // client-go's reflector values
  absl::Duration max_backoff = absl::Seconds(30);
  // A watch that ends cleanly sooner than this with no events counts as a failure (backs
  // off), so a server that closes watches at once cannot cause a busy loop.
  absl::Duration min_watch_duration = absl::Seconds(1);
};

class ResumingWatch {
 public:
  ResumingWatch(Client& client, GroupVersionResource gvr, std::string ns,
                ResumingWatchOptions options, Clock& clock = Clock::Real());

  // Delivers ADDED / MODIFIED / DELETED events (never BOOKMARK or ERROR) to `handler`, on
  // the calling thread, until:
  //   - the handler returns false: OK;
  //   - `stop` is cancelled: kCancelled;
  //   - the start version is too old: kOutOfRange (kube::IsGone) -- relist, then start a new
  //     ResumingWatch from the list's resourceVersion;
  //   - a non-transient error (forbidden, not found, invalid, ...): that error.
  // Transient errors (connection loss, stream cut mid-event, 5xx, 429, timeouts, malformed
  // events) reconnect from the last resourceVersion after a backoff.
  absl::Status Run(const WatchHandler& handler, const CancellationToken* stop);

  // The last resourceVersion seen. Thread-safe.
  std::string resource_version() const ABSL_LOCKS_EXCLUDED(mu_);
  // Connections opened so far. Thread-safe.
  int connections() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Client& client_;
  const GroupVersionResource gvr_;
  const std::string ns_;
  const ResumingWatchOptions options_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::string resource_version_ ABSL_GUARDED_BY(mu_);
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace kfed::kube

#endif  // KFED_KUBE_WATCH_H_
