// The HTTP servers' request threads, started on demand (an httplib::TaskQueue).
//
// httplib's own ThreadPool starts all its threads up front: the controller's two servers
// held 64 threads that mostly never served a request, each with ~40 KiB of touched stack and
// thread-local storage (glog alone reserves 30 KiB per thread; docs/benchmarks.md, memory).
// This pool starts a thread only when a task is queued and no thread is free to take it,
// up to `max_threads`; a started thread stays and waits for the next task. So a server that
// answers one scrape at a time holds one thread, and one with many long polls open holds one
// per poll, as before.
//
// Threads: owned by the pool, joined by shutdown() (httplib calls it when the server stops)
// or the destructor. enqueue() is safe from any thread.
#ifndef KFED_CONTROLLER_ON_DEMAND_THREAD_POOL_H_
#define KFED_CONTROLLER_ON_DEMAND_THREAD_POOL_H_

#include <httplib.h>

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace kfed::controller {

class OnDemandThreadPool : public httplib::TaskQueue {
 public:
  explicit OnDemandThreadPool(int max_threads);
  ~OnDemandThreadPool() override;  // shutdown()
  OnDemandThreadPool(const OnDemandThreadPool&) = delete;
  OnDemandThreadPool& operator=(const OnDemandThreadPool&) = delete;

  // Queues `fn`; starts a thread when every started one is busy and there is room.
  void enqueue(std::function<void()> fn) override ABSL_LOCKS_EXCLUDED(mu_);
  // Runs the tasks still queued, then joins the threads; later enqueues are dropped.
  // Idempotent.
  void shutdown() override ABSL_LOCKS_EXCLUDED(mu_);

  // Threads started so far.
  int Threads() const ABSL_LOCKS_EXCLUDED(mu_);
  // Threads waiting for a task (tests).
  int Waiting() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  const int max_threads_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;  // threads waiting for a task
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_ON_DEMAND_THREAD_POOL_H_
