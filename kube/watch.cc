#include "kube/watch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "kube/errors.h"

namespace kfed::kube {

ResumingWatch::ResumingWatch(Client& client, GroupVersionResource gvr, std::string ns,
                             ResumingWatchOptions options, Clock& clock)
    : client_(client),
      gvr_(std::move(gvr)),
      ns_(std::move(ns)),
      options_(std::move(options)),
      clock_(clock),
      resource_version_(options_.watch.resource_version) {}

std::string ResumingWatch::resource_version() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

int ResumingWatch::connections() const {
  absl::MutexLock lock(&mu_);
  return connections_;
}

absl::Status ResumingWatch::Run(const WatchHandler& handler, const CancellationToken* stop) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  for (;;) {
    if (stop != nullptr && stop->IsCancelled()) return absl::CancelledError("watch stopped");
    WatchOptions o = options_.watch;
    {
      absl::MutexLock lock(&mu_);
      o.resource_version = resource_version_;
      ++connections_;
    }
    bool handler_stopped = false;
    int events = 0;
    absl::Status error_event;
    absl::Time started = clock_.Now();
    absl::Status s = client_.Watch(gvr_, ns_, o, [&](const WatchEvent& e) {
      if (e.type == WatchEventType::kError) {
        error_event = StatusFromKubeStatus(*e.object, absl::StrCat("watch ", gvr_.String()));
        return false;
      }
      std::string rv = ResourceVersion(*e.object);
      if (!rv.empty()) {
        absl::MutexLock lock(&mu_);
        resource_version_ = rv;
      }
      ++events;
      if (e.type == WatchEventType::kBookmark) return true;
      if (!handler(e)) {
        handler_stopped = true;
        return false;
      }
      return true;
    }, stop);
    if (handler_stopped) return absl::OkStatus();
    if (!error_event.ok()) s = error_event;
    if (kube::IsGone(s)) return s;
    if (s.code() == absl::StatusCode::kCancelled) return s;
    if (s.ok() && (events > 0 || clock_.Now() - started >= options_.min_watch_duration)) {
      backoff.Reset();
      continue;  // server-side timeout: resume at once
    }
    if (!s.ok() && !kube::IsRetryable(s) && s.code() != absl::StatusCode::kUnknown) {
      return s;
    }
    if (events > 0) backoff.Reset();
    absl::Duration delay = backoff.Next();
    VLOG(1) << "watch " << gvr_.String() << " ns=" << ns_ << " ended ("
            << (s.ok() ? "closed early" : s.ToString()) << "); reconnecting in " << delay;
    if (!SleepUnlessCancelled(clock_, delay, stop)) return absl::CancelledError("watch stopped");
  }
}

}  // namespace kfed::kube
