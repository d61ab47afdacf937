// Kubernetes Events on federated objects (KubeFed's reasons: CreateInCluster, ...), written
// by a background thread from a bounded queue so that recording never blocks a worker; when
// the queue is full, events are dropped and counted.
#ifndef KFED_CONTROLLER_EVENTS_H_
#define KFED_CONTROLLER_EVENTS_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/client.h"
#include "kube/rate_limiter.h"
#include "rapidjson/document.h"

namespace kfed::controller {

struct EventRecorderOptions {
  // Events waiting to be written; beyond this, new ones are dropped and counted.
  size_t max_queued = 1000;
  // Writes per second (and burst) of the recorder's own limiter, on top of its client's.
  double qps = 20;
  int burst = 100;
};

class EventRecorder {
 public:
  // `host` is the client events are written with; give the recorder its own client so that
  // events never take the request budget of finalizer and status writes.
  EventRecorder(kube::Client& host, std::string component, Clock& clock = Clock::Real(),
                EventRecorderOptions options = {});
  virtual ~EventRecorder();  // flushes nothing more; stops the writer

  // Records an event about `object` (its apiVersion, kind, namespace, name, uid are copied).
  virtual void Record(const rapidjson::Value& object, bool warning, const std::string& reason,
                      const std::string& message) ABSL_LOCKS_EXCLUDED(mu_);

  // Records what happened to `object` in one member cluster. While an event about the same
  // object with the same reason and type is still waiting to be written, the two are merged
  // into one whose message names every cluster ("create ConfigMap ns/a in clusters m1, m2";
  // with `detail`: "cluster m1: <detail>; cluster m2: <detail>"), so a burst (a cold start)
  // costs one Event per object instead of one per cluster, and a quiet controller still
  // writes one per cluster as KubeFed did.
  virtual void RecordForCluster(const rapidjson::Value& object, bool warning,
                                const std::string& reason, const std::string& what,
                                const std::string& cluster, const std::string& detail)
      ABSL_LOCKS_EXCLUDED(mu_);

  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t dropped() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t written() const ABSL_LOCKS_EXCLUDED(mu_);
  // Events folded into another one that was still queued.
  uint64_t merged() const ABSL_LOCKS_EXCLUDED(mu_);

  // The message of a merged event (exposed for tests).
  static std::string MergedMessage(const std::string& what, const std::vector<std::string>& clusters,
                                   const std::vector<std::string>& details);

 private:
  struct Pending {
    rapidjson::Document involved;  // apiVersion, kind, namespace, name, uid, resourceVersion
    std::string ns;
    std::string name;
    bool warning = false;
    std::string reason;
    std::string message;  // when not per cluster
    std::string what;
    std::vector<std::string> clusters;
    std::vector<std::string> details;
    std::string merge_key;  // "" when not mergeable
    absl::Time first;
  };
  std::unique_ptr<Pending> NewPending(const rapidjson::Value& object, bool warning,
                                      const std::string& reason);
  void Enqueue(std::unique_ptr<Pending> p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  rapidjson::Document BuildEvent(const Pending& p) const;
  void Loop();

  kube::Client& host_;
  const std::string component_;
  Clock& clock_;
  const EventRecorderOptions options_;
  kube::TokenBucket limiter_;
  mutable absl::Mutex mu_;
  std::deque<std::unique_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  // Queued mergeable events by merge key (object uid, reason, type).
  absl::flat_hash_map<std::string, Pending*> mergeable_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t merged_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_EVENTS_H_
