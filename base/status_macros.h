// Status propagation helpers for absl::Status / absl::StatusOr, used across kfed.
#ifndef KFED_BASE_STATUS_MACROS_H_
#define KFED_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define KFED_STATUS_CONCAT_INNER_(x, y) x##y
#define KFED_STATUS_CONCAT_(x, y) KFED_STATUS_CONCAT_INNER_(x, y)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    ::absl::Status kfed_status_ = (expr);                      \
    if (!kfed_status_.ok()) return kfed_status_;               \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` assigns the value of an absl::StatusOr, or returns its
// error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  KFED_ASSIGN_OR_RETURN_IMPL_(KFED_STATUS_CONCAT_(kfed_statusor_, __LINE__), lhs, rexpr)

#define KFED_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

namespace kfed {

// Returns `status` with `context` prepended to its message ("context: message"), keeping
// the code. OK stays OK.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace kfed

#endif  // KFED_BASE_STATUS_MACROS_H_
