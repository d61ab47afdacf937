#include "controller/on_demand_thread_pool.h"

#include <algorithm>
#include <utility>

namespace kfed::controller {

OnDemandThreadPool::OnDemandThreadPool(int max_threads) : max_threads_(std::max(1, max_threads)) {}

OnDemandThreadPool::~OnDemandThreadPool() { shutdown(); }

void OnDemandThreadPool::enqueue(std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) return;
  tasks_.push_back(std::move(fn));
  // Every queued task needs a thread of its own: one waiting, or a new one.
  if (static_cast<int>(tasks_.size()) > waiting_ &&
      static_cast<int>(threads_.size()) < max_threads_) {
    threads_.emplace_back([this] { Loop(); });
  }
}

void OnDemandThreadPool::shutdown() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    shutdown_ = true;
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

int OnDemandThreadPool::Threads() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(threads_.size());
}

int OnDemandThreadPool::Waiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_;
}

void OnDemandThreadPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      ++waiting_;
      mu_.Await(absl::Condition(
          +[](OnDemandThreadPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return !p->tasks_.empty() || p->shutdown_;
          },
          this));
      --waiting_;
      if (tasks_.empty()) return;  // shut down, nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace kfed::controller
