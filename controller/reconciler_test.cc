#include "controller/reconciler.h"

#include "gtest/gtest.h"

namespace kfed::controller {
namespace {

TEST(RetriedErrorTest, KeepsARetriedCodeAndAddsContext) {
  absl::Status s = RetriedError(absl::AbortedError("the object has been modified"),
                                "writing the status of FederatedConfigMap demo/web");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(),
            "writing the status of FederatedConfigMap demo/web: the object has been modified");
  EXPECT_FALSE(IsTerminalReconcileError(s));
  EXPECT_EQ(RetriedError(absl::UnavailableError("down")).message(), "down");
}

TEST(RetriedErrorTest, ATerminalCodeIsStillRetried) {
  // A 422 from a write the controller retries anyway must not stop the retries.
  absl::Status s = RetriedError(absl::InvalidArgumentError("spec: Invalid value"), "updating x");
  EXPECT_FALSE(IsTerminalReconcileError(s));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(s.message(), "updating x: INVALID_ARGUMENT: spec: Invalid value");
  EXPECT_FALSE(IsTerminalReconcileError(RetriedError(absl::FailedPreconditionError("tls"))));
}

}  // namespace
}  // namespace kfed::controller
