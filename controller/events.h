// Kubernetes Events on federated objects (KubeFed's reasons: CreateInCluster, ...), written
// by a background thread from a bounded queue so that recording never blocks a worker; when
// the queue is full, events are dropped and counted.
#ifndef KFED_CONTROLLER_EVENTS_H_
#define KFED_CONTROLLER_EVENTS_H_

#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "kube/client.h"
#include "rapidjson/document.h"

namespace kfed::controller {

class EventRecorder {
 public:
  EventRecorder(kube::Client& host, std::string component, Clock& clock = Clock::Real(),
                size_t max_queued = 1000);
  virtual ~EventRecorder();  // flushes nothing more; stops the writer

  // Records an event about `object` (its apiVersion, kind, namespace, name, uid are copied).
  virtual void Record(const rapidjson::Value& object, bool warning, const std::string& reason,
                      const std::string& message) ABSL_LOCKS_EXCLUDED(mu_);

  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t dropped() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t written() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop();
  kube::Client& host_;
  const std::string component_;
  Clock& clock_;
  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<rapidjson::Document> queue_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_EVENTS_H_
