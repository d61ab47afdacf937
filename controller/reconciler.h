// The reconciler runtime's contract, in the style of controller-runtime: a Reconciler reads
// the desired state of one key ("ns/name", or "name" when cluster-scoped) from caches and
// drives the world toward it; a WorkerPool (controller/worker_pool.h) owns the queue loop
// that calls it. Every controller in controller/ plugs in here.
#ifndef KFED_CONTROLLER_RECONCILER_H_
#define KFED_CONTROLLER_RECONCILER_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace kfed::controller {

struct ReconcileResult {
  // Retry the key with its per-key backoff (like an error, but not counted as one: e.g. a
  // member still in progress, a write the cache has not shown yet).
  bool requeue = false;
  // When > 0: retry after this long (the backoff is reset). Wins over `requeue`.
  absl::Duration requeue_after = absl::ZeroDuration();

  static ReconcileResult Done() { return {}; }
  static ReconcileResult Requeue() { return {true, absl::ZeroDuration()}; }
  static ReconcileResult RequeueAfter(absl::Duration d) { return {false, d}; }
};

// Level-based: reads desired state from caches and drives members toward it. Never sees the
// event that woke it. Never runs twice at once for the same key (the queue guarantees it),
// but runs concurrently for different keys when the pool has several workers.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // OK: done as the result says (Done forgets the key's backoff).
  // kInvalidArgument / kFailedPrecondition: terminal for this version of the object: logged,
  // counted as an error, not retried (a change of the object re-queues it).
  // Anything else: logged, counted, re-queued with per-key backoff.
  virtual absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) = 0;
};

// A reconciler from a function, for controllers whose reconcile is one member function.
class FuncReconciler : public Reconciler {
 public:
  using Func = std::function<absl::StatusOr<ReconcileResult>(const std::string& key)>;
  explicit FuncReconciler(Func func) : func_(std::move(func)) {}
  absl::StatusOr<ReconcileResult> Reconcile(const std::string& key) override {
    return func_(key);
  }

 private:
  Func func_;
};

// Whether an error from Reconcile is terminal (not retried), per the contract above.
inline bool IsTerminalReconcileError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kFailedPrecondition;
}

// `error` (not OK) as an error the runtime retries whatever its code, with `context` in
// front of its message ("context: message"; none when empty). A code the contract treats
// as terminal (e.g. a 400 or 422 from a write a controller retries anyway) becomes kUnknown,
// its name kept in the message.
inline absl::Status RetriedError(const absl::Status& error, absl::string_view context = "") {
  std::string message(error.message());
  absl::StatusCode code = error.code();
  if (IsTerminalReconcileError(error)) {
    message = absl::StrCat(absl::StatusCodeToString(code), ": ", message);
    code = absl::StatusCode::kUnknown;
  }
  if (!context.empty()) message = absl::StrCat(context, ": ", message);
  return absl::Status(code, message);
}

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_RECONCILER_H_
